; Symbols in Python. Captures:
;   @function @class @variable  the definition node      @name  the defined name
;   @scope  a block to scan again for definitions (only at module level)
; Functions directly in a class body become methods in the Rust layer; definitions nested in
; functions are dropped there too.

(function_definition name: (identifier) @name) @function
(class_definition name: (identifier) @name) @class

(module
  (expression_statement
    (assignment left: (identifier) @name) @variable))

; Module-level compound statements whose bodies may define names (`if TYPE_CHECKING:`,
; `try: ... except ImportError:`); scanned again from their own node, however deep.
(if_statement) @scope
(try_statement) @scope
(with_statement) @scope
