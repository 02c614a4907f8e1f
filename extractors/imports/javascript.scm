; Imports in JavaScript and JSX. Captures:
;   @static   an import statement (`import type` is told apart in the Rust layer)
;   @reexport an export statement with a `from` clause
;   @dynamic  `import("...")`           @require  `require("...")`
;   @source   the specifier's string literal

(import_statement source: (string) @source) @static
(export_statement source: (string) @source) @reexport
(call_expression
  function: (import)
  arguments: (arguments . [(string) (template_string)] @source)) @dynamic
(call_expression
  function: (identifier) @_callee
  arguments: (arguments . (string) @source)
  (#eq? @_callee "require")) @require
