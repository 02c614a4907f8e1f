; inherits: javascript
; TypeScript and TSX share the JavaScript patterns (extractors/routes/javascript.scm): the
; nodes they name are the same in the TypeScript grammars.
