; Imports in JavaScript and JSX; typescript.scm inherits these and adds its own. Captures:
;   @static   an import statement (`import type` is told apart in the Rust layer)
;   @reexport an export statement with a `from` clause
;   @dynamic  `import("...")`           @require  `require("...")`
;   @source   the specifier's string literal

(import_statement source: (string) @source) @static
(export_statement source: (string) @source) @reexport
; The `#eq?` always holds; it tells the engine the word every such call contains, so the
; query runs only at calls where `import` is written.
(call_expression
  function: (import) @_import
  arguments: (arguments . [(string) (template_string)] @source)
  (#eq? @_import "import")) @dynamic
(call_expression
  function: (identifier) @_callee
  arguments: (arguments . (string) @source)
  (#eq? @_callee "require")) @require
