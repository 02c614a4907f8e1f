; Test suites and cases in JavaScript and TypeScript (typescript.scm inherits this) (Jest, Vitest, Mocha, node:test). Captures:
;   @call  a call whose callee is rooted at a test function: `it(...)`, `describe.skip(...)`,
;          `test.concurrent.each(table)(...)`, and Mocha's `before` / `after` hooks (which
;          only tell the framework apart).
; The Rust layer checks the callee's modifiers and the arguments (a title, a callback),
; and nests the items under the suites whose callbacks hold them. The whole file is
; scanned: suites nest in callbacks to any depth.

(call_expression
  function: [
    (identifier) @_name
    (member_expression object: (identifier) @_name)
    (member_expression object: (member_expression object: (identifier) @_name))
    (call_expression function: (member_expression object: (identifier) @_name))
    (call_expression function: (member_expression object: (member_expression object: (identifier) @_name)))
  ]
  (#any-of? @_name "describe" "fdescribe" "xdescribe" "it" "fit" "xit" "test" "xtest" "suite" "context" "xcontext" "specify" "xspecify" "before" "after")) @call
