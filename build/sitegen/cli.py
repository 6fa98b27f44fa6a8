"""`article <command>`: build and serve the site (here), train/evaluate/export (trainers).

The trainers' commands are imported only when chosen, so `article build` and `article serve`
never import torch. Bad input ends with `error: <message>` and exit status 2, no traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from .errors import BuildError

# command -> (module, one-line help); the module provides add_arguments(parser) and run(args).
LAZY_COMMANDS = {
    "train": ("trainers.train", "meta-train a sinusoid model (needs PyTorch)"),
    "evaluate": ("trainers.evaluate", "evaluate trained models under the article's protocol"),
    "export": ("trainers.export", "export ONNX graphs, parameters and the models' manifest"),
    "cost": ("trainers.cost", "measure time and peak memory of one meta-iteration against inner steps"),
    "cosine": ("trainers.cosine", "measure the cosine between first-order and exact MAML meta-gradients"),
    "curvature": ("trainers.curvature", "measure the extreme eigenvalues of alpha H at the start and end of MAML training"),
    "gallery": ("sitegen.gallery", "a PNG of every figure at 1280 and 390 px, light and dark (needs Playwright)"),
    "record-meta-train": ("trainers.meta_train_recording",
                          "record a run of the in-browser meta-training figure with the same graphs"),
}


def _add_site_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("_site"),
                        help="output folder (default: _site)")
    parser.add_argument("--content", type=Path, default=None,
                        help="content folder to build (default: content/ of the repository)")


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(
        prog="article", description="Build, serve and train the interactive MAML article.")
    commands = parser.add_subparsers(dest="command", metavar="<command>", required=True)

    build = commands.add_parser("build", help="build the static site into _site/",
                                description="Build the static site (atomically) into --out.")
    _add_site_options(build)
    build.add_argument("--base-url", default=None,
                       help="canonical URL the site is published at (overrides article.yaml's "
                            "`url`; used for canonical links, Open Graph and the sitemap)")

    serve = commands.add_parser("serve", help="build, serve, and rebuild on every save",
                                description="Build the site, serve it, watch the sources, "
                                            "rebuild and reload open pages on every save.")
    _add_site_options(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.add_argument("--base-path", default="/",
                       help="serve the site under this sub-path, e.g. /maml/ (default: /)")

    lazy = {name: commands.add_parser(name, help=text, description=text)
            for name, (_, text) in LAZY_COMMANDS.items()}
    return parser, lazy


def _chosen(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def _missing_extra(command: str, exc: ModuleNotFoundError) -> bool:
    """If `exc` is a package missing for a lazy command (a site-only install has no torch, tqdm or
    playwright), say which extras to install and return True."""
    if (exc.name or "").split(".")[0] in ("trainers", "sitegen"):
        return False  # a bug of ours, not a missing extra
    extra = "train" if LAZY_COMMANDS[command][0].startswith("trainers.") else "test"
    print(f"error: `article {command}` needs the package {exc.name}, one of the project's [{extra}] extras:"
          f" install them with `pip install -e '.[{extra}]'`, or `make setup-test` for all of them",
          file=sys.stderr)
    return True


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, lazy = _parser()
    command = _chosen(argv)
    module = None
    if command in LAZY_COMMANDS:
        try:
            module = importlib.import_module(LAZY_COMMANDS[command][0])
        except ModuleNotFoundError as exc:
            if not _missing_extra(command, exc):
                raise
            return 2
        module.add_arguments(lazy[command])
    args = parser.parse_args(argv)
    try:
        if module is not None:
            return int(module.run(args) or 0)
        if args.command == "build":
            return _build(args)
        return _serve(args)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # the trainers' commands import some packages late
        if module is None or not _missing_extra(command, exc):
            raise
        return 2
    except Exception as exc:
        if type(exc).__module__ == "trainers.errors":  # UserError and its subclasses
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        return 130


def _project(args: argparse.Namespace):
    from .project import Project
    return Project.at(content=args.content)


def _build(args: argparse.Namespace) -> int:
    from .site import build
    from .wordcount import word_report
    result = build(_project(args), args.out, base_url=args.base_url)
    print(f"built {len(result.pages)} pages into {args.out} in {result.seconds:.2f} s")
    print(word_report(result.words))
    print(f"claims checked against the models' manifest: {result.claims} (all hold)")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .serve import serve
    return serve(_project(args), args.out, host=args.host, port=args.port,
                 base_path=args.base_path)


if __name__ == "__main__":
    sys.exit(main())
