; Schema classes in Python (pydantic, dataclasses, TypedDict, attrs). Captures:
;   @class  a class definition      @name  its name
; The Rust layer keeps module-level classes and decides from bases and decorators.

(class_definition name: (identifier) @name) @class
