"""Placeholder; replaced by the site builder."""
def main() -> None:
    raise SystemExit("not yet")
