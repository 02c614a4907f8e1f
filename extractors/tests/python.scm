; Tests in Python (pytest, unittest). Captures:
;   @function  a module-level function, decorated or not
;   @class     a module-level class, decorated or not
; Names (`test_*`, `Test*`), bases (`...TestCase`), methods and decorators (skip marks,
; parametrize) are read by the Rust layer, which also walks class bodies.

(module (function_definition) @function)
(module (decorated_definition definition: (function_definition)) @function)
(module (class_definition) @class)
(module (decorated_definition definition: (class_definition)) @class)

; Tests defined under a module-level `if` (an optional dependency: `if numpy:`).
(module (if_statement consequence: (block [(function_definition) (decorated_definition definition: (function_definition))] @function)))
(module (if_statement consequence: (block [(class_definition) (decorated_definition definition: (class_definition))] @class)))
