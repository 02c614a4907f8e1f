; Symbols in JavaScript and JSX. Captures:
;   @function @class @method @variable  the definition node
;   @name   the defined name          @value  a variable's initializer (decides function vs variable)
; The Rust layer keeps only definitions at module or class level.

(function_declaration name: (identifier) @name) @function
(generator_function_declaration name: (identifier) @name) @function

(class_declaration name: (identifier) @name) @class

(method_definition name: (_) @name) @method
(field_definition
  property: (_) @name
  value: [(arrow_function) (function_expression)]) @method

(lexical_declaration
  (variable_declarator name: (identifier) @name value: (_)? @value) @variable)
(variable_declaration
  (variable_declarator name: (identifier) @name value: (_)? @value) @variable)
