; Zod schemas in JavaScript and TypeScript (typescript.scm inherits this). Captures:
;   @schema  a variable declarator or an `export default` statement
;   @name    the variable's name            @value  the initializer or exported expression
; The Rust layer keeps module-level definitions whose value is a Zod chain.

(variable_declarator name: (identifier) @name value: (_) @value) @schema
(export_statement value: (_) @value) @schema
