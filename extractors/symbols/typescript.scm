; Symbols in TypeScript and TSX. Captures:
;   @function @class @method @interface @type @enum @namespace @variable  the definition node
;   @name   the defined name          @value  a variable's initializer (decides function vs variable)
; The Rust layer keeps only definitions at module, namespace or class level.

(function_declaration name: (identifier) @name) @function
(generator_function_declaration name: (identifier) @name) @function
(function_signature name: (identifier) @name) @function

(class_declaration name: (type_identifier) @name) @class
(abstract_class_declaration name: (type_identifier) @name) @class

(method_definition name: (_) @name) @method
(abstract_method_signature name: (_) @name) @method
; Methods of `declare class` (interface members belong to the types, not to symbols).
(class_body (method_signature name: (_) @name) @method)
(public_field_definition
  name: (_) @name
  value: [(arrow_function) (function_expression)]) @method

(interface_declaration name: (type_identifier) @name) @interface
(type_alias_declaration name: (type_identifier) @name) @type
(enum_declaration name: (identifier) @name) @enum
(internal_module name: (_) @name) @namespace
(module name: (_) @name) @namespace

(lexical_declaration
  (variable_declarator name: (identifier) @name value: (_)? @value) @variable)
(variable_declaration
  (variable_declarator name: (identifier) @name value: (_)? @value) @variable)
