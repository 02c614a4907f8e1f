; React component candidates in TSX (compiled for the TypeScript grammar too, where no file
; is ever scanned: components need JSX). The Rust layer keeps a candidate only when its
; function returns JSX or calls hooks (or it is a class extending Component), so these
; patterns only need to find capitalised definitions. Captures:
;   @function  a function or arrow that may be the component
;   @wrapped   a call that may wrap one (`memo(...)`, `forwardRef(...)`, `observer(...)`)
;   @class     a class that may be a class component
;   @alias     a context's Provider / Consumer under a component's name
;   @name      the component's name
;   @default   an anonymous `export default` function or wrapper

(function_declaration
  name: (identifier) @name (#match? @name "^[A-Z]")) @function

(variable_declarator
  name: (identifier) @name (#match? @name "^[A-Z]")
  value: [(arrow_function) (function_expression)] @function)

(variable_declarator
  name: (identifier) @name (#match? @name "^[A-Z]")
  value: (call_expression) @wrapped)

; `forwardRef(...) as typeof X` casts the wrapper's result.
(variable_declarator
  name: (identifier) @name (#match? @name "^[A-Z]")
  value: (as_expression (call_expression) @wrapped))

(class_declaration
  name: (type_identifier) @name (#match? @name "^[A-Z]")
  (class_heritage)) @class

(export_statement
  "default"
  value: [(arrow_function) (function_expression)] @function) @default

(export_statement
  "default"
  value: (call_expression) @wrapped) @default

; `export const FooProvider = FooContext.Provider`: a component of its own name.
(variable_declarator
  name: (identifier) @name (#match? @name "^[A-Z]")
  value: (member_expression
    property: (property_identifier) @_part (#any-of? @_part "Provider" "Consumer")) @alias)
