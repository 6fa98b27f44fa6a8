"""Jinja rendering whose errors point at the template and line where they are.

chapter.html extends base.html and imports macros.html, so an error is often not in the template
the build asked for. Jinja rewrites a traceback so that each frame of template code carries that
template's file name and line (the frame's globals hold `__jinja_exception__`); the innermost
such frame is where the author has to look.
"""
from __future__ import annotations

from pathlib import Path
from types import TracebackType

import jinja2

from .errors import BuildError


def render_template(jinja: jinja2.Environment, name: str, context: dict) -> str:
    """Render template `name`; any error becomes a BuildError at the template file and line."""
    try:
        return jinja.get_template(name).render(context)
    except BuildError:
        raise  # already located (e.g. raised by Python code the template calls)
    except jinja2.TemplateSyntaxError as exc:
        # Syntax errors carry the template they are in, also when it is extended or imported.
        where = _display(jinja, exc.filename) if exc.filename else f"templates/{exc.name or name}"
        raise BuildError(f"template syntax error: {exc.message}{_while(name, where)}", where,
                         exc.lineno, "fix the Jinja syntax at that line") from None
    except jinja2.TemplateNotFound as exc:
        where, line = _innermost_template_line(jinja, exc.__traceback__)
        raise BuildError(f"template {exc.name} is missing{_while(name, where)}",
                         where or "templates/", line,
                         f"create templates/{exc.name} or fix the name that loads it") from None
    except Exception as exc:  # noqa: BLE001 - any failure inside a template is the author's to fix
        where, line = _innermost_template_line(jinja, exc.__traceback__)
        message = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
        raise BuildError(f"template error: {type(exc).__name__}: {message}{_while(name, where)}",
                         where or f"templates/{name}", line,
                         "fix the template at that line; variables it receives: "
                         + ", ".join(sorted(context))) from None


def _innermost_template_line(jinja: jinja2.Environment,
                             tb: TracebackType | None) -> tuple[str | None, int | None]:
    """(template as the author writes it, line) of the deepest template frame, else (None, None)."""
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            found = (_display(jinja, tb.tb_frame.f_code.co_filename), tb.tb_lineno)
        tb = tb.tb_next
    return found


def _display(jinja: jinja2.Environment, filename: str) -> str:
    """`templates/base.html` for a file under one of the loader's folders, else the path."""
    path = Path(filename).resolve()
    for folder in getattr(jinja.loader, "searchpath", []):
        folder = Path(folder).resolve()
        if folder in path.parents:
            return f"{folder.name}/{path.relative_to(folder).as_posix()}"
    return filename


def _while(requested: str, where: str | None) -> str:
    """Say which page template was being rendered when the error is in another one."""
    if where is None or where.endswith(f"/{requested}"):
        return ""
    return f" (while rendering {requested})"
