; Custom React hooks (JavaScript and TypeScript; typescript.scm inherits this): functions and arrows named `use` + a capital letter, at module level
; (the scan is depth-bounded). Captures:
;   @hook  the function, arrow or function expression
;   @name  the hook's name

(function_declaration
  name: (identifier) @name (#match? @name "^use[A-Z0-9]")) @hook

(variable_declarator
  name: (identifier) @name (#match? @name "^use[A-Z0-9]")
  value: [(arrow_function) (function_expression)] @hook)
