; HTTP routes in Python. Captures:
;   @decorator    `@app.get("/x")`, `@bp.route("/x", methods=[...])`, `@app.websocket(...)`,
;                 `@app.route(api_url)` (a string constant of the file, evaluated in Rust)
;   @route        Starlette `Route("/x", endpoint)` / `WebSocketRoute(...)`
;   @registered   a route registered by a call on an app or router: FastAPI
;                 `add_api_route("/x", endpoint, methods=[...])` / `add_api_websocket_route`,
;                 Starlette `add_route` / `add_websocket_route`, Flask `add_url_rule("/x",
;                 view_func=...)`; the path positional or by keyword
;   @urlpatterns  the value assigned to (or added to) Django's `urlpatterns`; the Rust layer
;                 walks it for `path()` / `re_path()` / `url()` calls
;   @assigned     the value of any other module-level assignment: walked the same way in a
;                 url configuration (a file defining `urlpatterns`, or `urls.py`), where
;                 lists like `ns_patterns = [path(...)]` are included by name
; Arguments (path literal, methods, endpoint) are read by the Rust layer.

(decorator
  (call
    function: (attribute attribute: (identifier) @_method)
    arguments: (argument_list . [(string) (identifier)]))
  (#any-of? @_method "get" "post" "put" "patch" "delete" "head" "options" "trace" "route" "api_route" "websocket")) @decorator

(call
  function: (attribute attribute: (identifier) @_method)
  arguments: (argument_list)
  (#any-of? @_method "add_api_route" "add_api_websocket_route" "add_route" "add_websocket_route" "add_url_rule")) @registered

(call
  function: [(identifier) @_callee (attribute attribute: (identifier) @_callee)]
  arguments: (argument_list . (string))
  (#any-of? @_callee "Route" "WebSocketRoute")) @route

(assignment
  left: (identifier) @_name
  right: (_) @urlpatterns
  (#eq? @_name "urlpatterns"))

(augmented_assignment
  left: (identifier) @_name
  right: (_) @urlpatterns
  (#eq? @_name "urlpatterns"))

(call
  function: (attribute
    object: (identifier) @_name
    attribute: (identifier) @_op)
  arguments: (argument_list) @urlpatterns
  (#eq? @_name "urlpatterns")
  (#any-of? @_op "append" "extend" "insert"))

(module
  (expression_statement
    (assignment
      left: (identifier) @_name
      right: (_) @assigned
      (#not-eq? @_name "urlpatterns"))))
