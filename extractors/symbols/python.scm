; Symbols in Python. Captures:
;   @function @class @variable  the definition node      @name  the defined name
; Functions directly in a class body become methods in the Rust layer; definitions nested in
; functions are dropped there too.

(function_definition name: (identifier) @name) @function
(class_definition name: (identifier) @name) @class

(module
  (expression_statement
    (assignment left: (identifier) @name) @variable))
