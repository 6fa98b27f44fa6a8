"""One small interface over three browser engines, so that the smoke test is written once.

An engine opens a URL, evaluates a JavaScript expression (awaiting it if it is a promise) and
returns its JSON value, and reports the problems it saw itself (console errors and failed
requests, where its protocol tells them). Chromium and Firefox are driven by puppeteer-core
(puppeteer_bridge.mjs: the DevTools protocol and WebDriver BiDi), WebKit by plain W3C WebDriver
over HTTP to WebKitWebDriver, in an Xvfb display.
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Protocol

HERE = Path(__file__).parent
BRIDGE = HERE / "puppeteer_bridge.mjs"
WINDOW = (1280, 900)


class EngineError(RuntimeError):
    """The engine or its driver failed (not the page: the page's problems are data)."""


class Engine(Protocol):
    name: str

    def open(self, url: str) -> None: ...

    def evaluate(self, expression: str, timeout_s: float) -> Any: ...

    def problems(self) -> list[str]: ...

    def close(self) -> None: ...


# ---- Chromium and Firefox: puppeteer-core in Node ------------------------------------------


class PuppeteerEngine:
    """A browser launched by puppeteer_bridge.mjs, spoken to in JSON lines over its stdin/stdout."""

    def __init__(self, name: str, browser: str, executable: Path) -> None:
        self.name = name
        node = shutil.which("node")
        if node is None:
            raise EngineError("node is not on PATH")
        self._process = subprocess.Popen(
            [node, str(BRIDGE), browser, str(executable)],
            cwd=HERE,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._next_id = 0
        self.version = self._receive(timeout_s=120)["ready"]

    def _read(self) -> None:
        for line in self._process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _receive(self, timeout_s: float) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout_s)
        except queue.Empty:
            raise EngineError(f"{self.name} did not answer within {timeout_s:.0f} s") from None
        if line is None:
            raise EngineError(f"{self.name}'s driver exited: {self._process.stderr.read()[-2000:]}")
        return json.loads(line)

    def _command(self, command: str, timeout_s: float, **args: Any) -> Any:
        self._next_id += 1
        self._process.stdin.write(json.dumps({"id": self._next_id, "command": command, **args}) + "\n")
        self._process.stdin.flush()
        reply = self._receive(timeout_s)
        if reply.get("id") != self._next_id:
            raise EngineError(f"{self.name}'s driver answered out of turn: {reply}")
        if "error" in reply:
            raise EngineError(reply["error"])
        return reply["value"]

    def open(self, url: str) -> None:
        self._command("open", timeout_s=150, url=url)

    def evaluate(self, expression: str, timeout_s: float) -> Any:
        return self._command("evaluate", timeout_s=timeout_s, expression=expression)

    def problems(self) -> list[str]:
        return self._command("problems", timeout_s=30)

    def close(self) -> None:
        self._process.stdin.close()  # the bridge closes the browser when its input ends
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


# ---- WebKit: W3C WebDriver over HTTP ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Xvfb:
    """A virtual X display for a browser that needs one; Xvfb picks a free display number."""

    def __init__(self, executable: Path) -> None:
        read_end, write_end = os.pipe()
        self._process = subprocess.Popen(
            [str(executable), "-displayfd", str(write_end), "-screen", "0", f"{WINDOW[0]}x{WINDOW[1]}x24", "-nolisten", "tcp"],
            pass_fds=(write_end,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            number = pipe.readline().strip()
        if not number:
            self.close()
            raise EngineError("Xvfb did not start")
        self.display = f":{number}"

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


class WebDriverEngine:
    """WebKitWebDriver (WebKitGTK's MiniBrowser) under Xvfb, spoken to in plain W3C WebDriver."""

    def __init__(self, name: str, driver: Path, xvfb: Path) -> None:
        self.name = name
        self._display = Xvfb(xvfb)
        port = free_port()
        self._driver = subprocess.Popen(
            [str(driver), f"--port={port}"],
            env={**os.environ, "DISPLAY": self._display.display},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._base = f"http://127.0.0.1:{port}"
        try:
            self._wait_until_listening()
            session = self._request("POST", "/session", {"capabilities": {"alwaysMatch": {
                # Each step keeps its own deadline; these only stop a hung engine.
                "timeouts": {"script": 600_000, "pageLoad": 150_000},
            }}}, timeout_s=120)
            self._session = f"/session/{session['sessionId']}"
            self.version = session["capabilities"].get("browserVersion", "?")
            self._request("POST", f"{self._session}/window/rect", {"width": WINDOW[0], "height": WINDOW[1]})
        except BaseException:
            self._stop_processes()
            raise

    def _wait_until_listening(self, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self._request("GET", "/status", timeout_s=2)
                return
            except (OSError, EngineError):
                if time.monotonic() > deadline:
                    raise EngineError("WebKitWebDriver did not start listening") from None
                time.sleep(0.2)

    def _request(self, method: str, path: str, body: dict | None = None, timeout_s: float = 60) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self._base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                return json.load(response)["value"]
        except urllib.error.HTTPError as error:
            value = json.load(error).get("value", {})
            raise EngineError(f"WebDriver {method} {path}: {value.get('error')}: {value.get('message')}") from None

    def open(self, url: str) -> None:
        self._request("POST", f"{self._session}/url", {"url": url}, timeout_s=180)

    def evaluate(self, expression: str, timeout_s: float) -> Any:
        # An async script ends by calling its last argument; errors come back as values, so that
        # an exception in the page reads the same as in the other engines.
        script = (
            "const done = arguments[arguments.length - 1];"
            f"Promise.resolve().then(() => ({expression}))"
            ".then((value) => done({value}), (error) => done({error: String(error && error.stack || error)}));"
        )
        reply = self._request("POST", f"{self._session}/execute/async", {"script": script, "args": []}, timeout_s)
        if "error" in reply:
            raise EngineError(reply["error"])
        return reply.get("value")

    def problems(self) -> list[str]:
        return []  # WebKitWebDriver keeps no console log: the page's recorder is all there is

    def close(self) -> None:
        try:
            self._request("DELETE", self._session, timeout_s=30)
        finally:
            self._stop_processes()

    def _stop_processes(self) -> None:
        self._driver.terminate()
        try:
            self._driver.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._driver.kill()
        self._display.close()
