; Imports in Python. Captures:
;   @import   `import a.b, c as d`       @from  `from .x import y`
;   @dynamic  `importlib.import_module("x")` or `__import__("x")` with a literal argument
;   @source   the literal argument of a dynamic import
; Names, aliases and relative levels are read off the statement by the Rust layer;
; statements under `if TYPE_CHECKING:` are reported as type-only there.

(import_statement) @import
(import_from_statement) @from
(call
  function: [(identifier) @_callee (attribute attribute: (identifier) @_callee)]
  arguments: (argument_list . (string) @source)
  (#any-of? @_callee "import_module" "__import__")) @dynamic
