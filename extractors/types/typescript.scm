; Type definitions in TypeScript and TSX. Captures:
;   @interface @type @enum @class  the definition node      @name  its name
;   @namespace  a namespace or ambient module, scanned again for the types inside it
; The Rust layer scans the top of the file, then each namespace, and drops definitions local
; to a function.

(interface_declaration name: (type_identifier) @name) @interface
(type_alias_declaration name: (type_identifier) @name) @type
(enum_declaration name: (identifier) @name) @enum
(class_declaration name: (type_identifier) @name) @class
(abstract_class_declaration name: (type_identifier) @name) @class
(internal_module name: (_) @name) @namespace
(module name: (_) @name) @namespace
