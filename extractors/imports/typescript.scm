; inherits: javascript
; TypeScript and TSX: the JavaScript patterns (extractors/imports/javascript.scm), plus
;   @require  `import x = require("...")`
(import_require_clause source: (string) @source) @require
