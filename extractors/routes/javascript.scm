; HTTP routes in JavaScript, TypeScript and their JSX forms (typescript.scm inherits this). Captures:
;   @call  `x.get('/p', h)`, `x.route('/p')` (the start of a `.get(a).post(b)` chain) or
;          `x.route({ method, url, handler })`: a call on a member named after an HTTP
;          method, `all`, `del` or `route`.
; The Rust layer checks the arguments (a literal path, a handler), reads the framework off
; the file's imports and walks `route()` chains. Next.js route files are recognised by
; their path and read from their exports without a query.

(call_expression
  function: (member_expression
    property: (property_identifier) @_method)
  arguments: (arguments)
  (#any-of? @_method "get" "post" "put" "patch" "delete" "del" "head" "options" "all" "route")) @call
