"""A small client of Streamlit's own protocol, for load tests: one object per session,
no browser, no rendering (protobuf parsing only).

    session = Session("http://127.0.0.1:8501", "lang=es&data=resultados&basemap=none")
    first = await session.open()              # the page's first complete run
    run = await session.change("w_indicator", "Hectáreas instaladas")
    run.seconds, session.texts(), session.version("resultados")
    data, seconds = await session.export("png")
    await session.close()

What a browser does, and so what this client does (Streamlit 1.67, Starlette server):

- GET the page (keeps its cookies: a proxy's sticky-session cookie such as nginx's
  ``mapapp_route``), then GET ``/_stcore/health``, which sets Streamlit's XSRF cookie
  ``_streamlit_xsrf`` (the index page does not).
- Open the websocket ``/_stcore/stream`` with those cookies, an ``Origin`` of the page's
  own origin (the server rejects, code 1008, an Origin whose host is not the request's
  Host unless allowed), and ``Sec-WebSocket-Protocol: streamlit, <XSRF cookie value>``:
  the server selects the first entry; the second is the XSRF token, compared with the
  cookie (it only gates reading the login cookie); a third entry would be a session id
  to reconnect to.
- Send ``BackMsg.rerun_script`` (a ``ClientState``): the page's query string, the page
  script hash (from ``NewSession``), every widget's current value (``WidgetStates``: the
  server applies the states it is sent and calls the callbacks of those that changed;
  the frontend always sends the whole set of the widgets drawn by the last complete
  run), and the hashes of the cacheable messages it holds (the server then sends a
  ``ref_hash`` for them instead of the message again).
- Read ``ForwardMsg``s: ``new_session`` starts each script run (also a run started by
  ``st.rerun``), deltas draw elements at their ``delta_path``, ``script_finished`` ends
  a run: FINISHED_EARLY_FOR_RERUN (2) means another run follows (``st.rerun``, or a
  newer request interrupted it); FINISHED_SUCCESSFULLY (0) ends what a request asked
  for. A run's time is from the request sent to that final ``script_finished``.
- A widget's value, as the frontend keeps it: from the element the first time its id
  is drawn, and again whenever the element says ``set_value`` (the script set it through
  ``st.session_state``); otherwise the client's own value stands. Ids not drawn by a
  complete run are dropped. Selectbox and radio values are the option's label as shown
  (``string_value``), multiselect and select_slider labels (``string_array_value``), a
  slider's numbers (``double_array_value``), checkbox and toggle ``bool_value``, a
  component's ``json_value``.
- The map first (mapapp.app.map_first): a session's first run draws the header and the
  map only, and waits up to MAPAPP_MAP_WAIT_S for the map to report its first frame.
  The browser's map (static/mapapp/mapapp.js) reports it with the component value
  ``{"map_ready": true}``; this client sends the same value as soon as the map's
  element arrives (``report_map``), so the servers run as served, with the wait on,
  and a session costs what a browser's costs: the first run cut short by the report,
  then the whole page.
- A download button made on click (``st.download_button(data=callable)``) carries a
  ``deferred_file_id``: the frontend sends ``BackMsg.backend_operation_request``
  (request id, the session id, ``deferred_file.file_id``), the server runs the callable
  in a thread and answers ``backend_operation_response.deferred_file.url``
  (``/media/<id>.<ext>``), which the browser fetches with its cookies.

Errors raise ``StError`` with a reason: an exception element in the page, a compile
error, the websocket closed, no answer within ``timeout_s`` (30 s).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

FINISHED_OK = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
EARLY = ForwardMsg.FINISHED_EARLY_FOR_RERUN
COMPILE_ERROR = ForwardMsg.FINISHED_WITH_COMPILE_ERROR
MAP_COMPONENT = "streamlit_folium.st_folium"
WIDGET_ID = re.compile(r"^\$\$ID-[0-9a-f]+-(.+)$")
CACHE_ENTRIES = 64  # cached messages a session keeps (the map's spec, large charts)


class StError(Exception):
    """A failed request: ``reason`` says what happened (for the load test's tally)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Widget:
    """A widget as the last complete run drew it."""

    id: str
    key: str  # the user key (``w_indicator``), or the id's tail
    kind: str  # selectbox, radio, multiselect, slider, select_slider, checkbox, ...
    options: list[str] = field(default_factory=list)
    disabled: bool = False
    element: Any = None  # the element's proto (a download button's deferred_file_id, ...)


@dataclass
class RunResult:
    """What one request asked for, once its last run finished."""

    seconds: float  # request sent → the final script_finished
    runs: int  # script runs it took (st.rerun, or the map's report, add one)
    messages: int
    bytes: int  # ForwardMsg bytes received (after the websocket's decompression)
    texts: list[str]


def _field_and_value(element: Any, kind: str, known: tuple[str, Any] | None
                     ) -> tuple[str, Any] | None:
    """A widget's value as the frontend keeps it (see the module's docstring)."""
    if known is not None and not getattr(element, "set_value", False):
        return known
    set_value = getattr(element, "set_value", False)
    if kind in ("selectbox", "radio"):
        if set_value:
            return ("string_value", element.raw_value) if element.HasField("raw_value") else None
        if element.HasField("default") and element.options:
            return "string_value", element.options[element.default]
        return None
    if kind == "multiselect":
        values = element.raw_values if set_value else [element.options[i]
                                                      for i in element.default]
        return "string_array_value", list(values)
    if kind == "select_slider":
        values = element.raw_value if set_value else [element.options[int(i)]
                                                     for i in element.default]
        return "string_array_value", list(values)
    if kind == "slider":
        return "double_array_value", list(element.value if set_value else element.default)
    if kind == "checkbox":
        return "bool_value", bool(element.value if set_value else element.default)
    return None


class Session:
    """One page's session, spoken to as its browser would (see the module's docstring)."""

    def __init__(self, url: str, query: str = "", *, timeout_s: float = 30.0,
                 report_map: bool = True, cache: bool = True,
                 http: httpx.AsyncClient | None = None) -> None:
        self.url = url.rstrip("/")
        self.query = query.lstrip("?")
        self.timeout_s = timeout_s
        self.report_map = report_map
        self.use_cache = cache
        self.http = http or httpx.AsyncClient(timeout=timeout_s)
        self._own_http = http is None
        self.ws = None
        self.session_id = ""
        self.page_script_hash = ""
        self.values: dict[str, tuple[str, Any]] = {}  # widget id → (WidgetState field, value)
        self.widgets: dict[str, Widget] = {}  # key → widget, as the last complete run drew them
        self.stray_runs = 0  # runs nobody asked for (a report that came after the wait)
        self.received_bytes = 0
        self.closed: str | None = None  # why the websocket closed
        self._cache: OrderedDict[str, ForwardMsg] = OrderedDict()
        self._runs = 0  # script runs started (new_session messages)
        self._run_texts: dict[tuple[int, ...], str] = {}
        self._run_widgets: dict[str, Widget] = {}
        self._run_errors: list[str] = []
        self._texts: list[str] = []
        self._waiter: dict | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._map_reported = False
        self._ops: dict[str, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None

    # --- the session ----------------------------------------------------------------

    async def open(self) -> RunResult:
        """Load the page: cookies, the websocket, the first run (and the map's report)."""
        page = f"{self.url}/" + (f"?{self.query}" if self.query else "")
        try:
            for target in (page, f"{self.url}/_stcore/health"):
                response = await self.http.get(target)
                if response.status_code != 200:
                    raise StError(f"GET {urlsplit(target).path}: HTTP {response.status_code}")
        except httpx.HTTPError as exc:
            raise StError(f"GET the page: {type(exc).__name__}: {exc}") from exc
        xsrf = self.http.cookies.get("_streamlit_xsrf") or "PLACEHOLDER_AUTH_TOKEN"
        parts = urlsplit(self.url)
        ws_url = ("wss" if parts.scheme == "https" else "ws") + f"://{parts.netloc}" + \
            f"{parts.path}/_stcore/stream"
        try:
            self.ws = await connect(
                ws_url, subprotocols=["streamlit", xsrf], max_size=None,
                origin=f"{parts.scheme}://{parts.netloc}", open_timeout=self.timeout_s,
                additional_headers={"Cookie": self.cookie_header()}, ping_interval=None)
        except Exception as exc:  # refused, closed, a bad handshake: all one error
            raise StError(f"websocket: {type(exc).__name__}: {exc}") from exc
        self._reader = asyncio.create_task(self._read())
        return await self._request({}, first=True)

    async def change(self, key: str, value: Any) -> RunResult:
        """Set a widget (by its user key) as a user would, and wait for the page's run.
        ``value``: an option's label for selectbox/radio, labels for multiselect and
        select_slider, numbers for a slider, a bool for a checkbox or toggle."""
        widget = self.widgets.get(key)
        if widget is None:
            raise StError(f"no widget {key!r} on the page")
        kind_field = {"selectbox": "string_value", "radio": "string_value",
                      "multiselect": "string_array_value", "select_slider": "string_array_value",
                      "slider": "double_array_value", "checkbox": "bool_value"}.get(widget.kind)
        if kind_field is None:
            raise StError(f"cannot set a {widget.kind} ({key})")
        if isinstance(value, (list, tuple)):
            value = list(value)
        return await self._request({widget.id: (kind_field, value)})

    async def rerun(self) -> RunResult:
        """Run the page again with its current widget values (no change)."""
        return await self._request({})

    async def export(self, fmt: str = "png", key: str | None = None) -> tuple[bytes, float]:
        """Click a download button made on click (``export-png``): ask the server to
        make the file, then fetch it, as the browser does. Its bytes and the seconds from
        the click to the last byte."""
        # A run in progress replaces the buttons' files: the ids of the last complete
        # run are dropped when the next one ends. Click once the page has settled.
        await self._wait_idle()
        widget = self.widgets.get(key or f"export-{fmt}")
        if widget is None or not widget.element.deferred_file_id:
            raise StError(f"no download button {key or 'export-' + fmt} on the page")
        start = time.perf_counter()
        request_id = str(uuid.uuid4())
        back = BackMsg()
        back.backend_operation_request.request_id = request_id
        back.backend_operation_request.session_id = self.session_id
        back.backend_operation_request.deferred_file.file_id = widget.element.deferred_file_id
        answer = asyncio.get_running_loop().create_future()
        self._ops[request_id] = answer
        try:
            await self._send(back)
            try:
                response = await asyncio.wait_for(answer, self.timeout_s)
            except TimeoutError:
                raise StError(f"export {fmt}: no answer in {self.timeout_s:.0f} s") from None
        finally:
            self._ops.pop(request_id, None)
        if response.error_msg:
            raise StError(f"export {fmt}: {response.error_msg}")
        url = response.deferred_file.url
        if not url.startswith(("http://", "https://")):
            url = self.url + (url if url.startswith("/") else "/" + url)
        try:
            got = await self.http.get(url)
        except httpx.HTTPError as exc:
            raise StError(f"export {fmt}: GET {type(exc).__name__}: {exc}") from exc
        if got.status_code != 200:
            raise StError(f"export {fmt}: GET {urlsplit(url).path}: HTTP {got.status_code}")
        return got.content, time.perf_counter() - start

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await self.ws.close()
            except Exception:  # already gone
                pass
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass
        if self._own_http:
            await self.http.aclose()

    async def __aenter__(self) -> Session:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- what the page shows ---------------------------------------------------------

    def texts(self) -> list[str]:
        """The texts of the last complete run, in the page's order: headings, markdown
        and captions, alerts, plain text."""
        return list(self._texts)

    def version(self, slug: str) -> int | None:
        """The version of ``slug`` the page says it shows (``slug@N`` in its texts)."""
        pattern = re.compile(rf"(?<![\w-]){re.escape(slug)}\\?@(\d+)")
        found = [int(m.group(1)) for text in self._texts for m in pattern.finditer(text)]
        return max(found) if found else None

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())

    # --- requests and runs -----------------------------------------------------------

    async def _request(self, changes: dict[str, tuple[str, Any]], first: bool = False
                       ) -> RunResult:
        await self._wait_idle()  # a run nobody asked for finishes first
        self.values.update(changes)
        done = asyncio.get_running_loop().create_future()
        start = time.perf_counter()
        self._waiter = {"future": done, "after": self._runs, "start": start, "runs": 0,
                        "messages": 0, "bytes": 0, "first": first}
        try:
            await self._send(self._rerun_msg())
            return await asyncio.wait_for(done, self.timeout_s)
        except TimeoutError:
            raise StError(f"no script_finished in {self.timeout_s:.0f} s") from None
        finally:
            self._waiter = None

    async def _wait_idle(self) -> None:
        if self.closed:
            raise StError(f"websocket closed: {self.closed}")
        try:
            await asyncio.wait_for(self._idle.wait(), self.timeout_s)
        except TimeoutError:
            raise StError(f"a run did not finish in {self.timeout_s:.0f} s") from None
        if self.closed:
            raise StError(f"websocket closed: {self.closed}")

    def _rerun_msg(self) -> BackMsg:
        back = BackMsg()
        state = back.rerun_script
        state.query_string = self.query
        state.page_script_hash = self.page_script_hash
        for widget_id, (kind, value) in self.values.items():
            widget = state.widget_states.widgets.add()
            widget.id = widget_id
            if kind in ("string_array_value", "double_array_value"):
                getattr(widget, kind).data.extend(value)
            else:
                setattr(widget, kind, value)
        if self.use_cache:
            state.cached_message_hashes.extend(self._cache)
        return back

    async def _send(self, back: BackMsg) -> None:
        try:
            await self.ws.send(back.SerializeToString())
        except ConnectionClosed as exc:
            raise StError(f"websocket closed: {exc}") from exc

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self.received_bytes += len(data)
                if self._waiter is not None:
                    self._waiter["messages"] += 1
                    self._waiter["bytes"] += len(data)
                self._handle(msg)
        except ConnectionClosed as exc:
            self.closed = f"code {exc.rcvd.code if exc.rcvd else '–'}"
        except Exception as exc:  # a message this client cannot read: the session ends
            self.closed = f"{type(exc).__name__}: {exc}"
        else:
            self.closed = "closed by the server"
        self._fail(StError(f"websocket closed: {self.closed}"))

    def _fail(self, error: StError) -> None:
        if self._waiter is not None and not self._waiter["future"].done():
            self._waiter["future"].set_exception(error)
        for answer in self._ops.values():
            if not answer.done():
                answer.set_exception(error)
        self._idle.set()

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "delta":
            if self.use_cache and msg.metadata.cacheable and msg.hash:
                self._remember(msg)
            self._delta(msg.delta, tuple(msg.metadata.delta_path))
        elif kind == "ref_hash":
            cached = self._cache.get(msg.ref_hash)
            if cached is None:
                self._run_errors.append(f"a reference to a message never received: {msg.ref_hash}")
                return
            self._cache.move_to_end(msg.ref_hash)
            if cached.WhichOneof("type") == "delta":
                self._delta(cached.delta, tuple(msg.metadata.delta_path))
        elif kind == "new_session":
            self._run_started(msg)
        elif kind == "script_finished":
            self._run_finished(msg.script_finished)
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "backend_operation_response":
            answer = self._ops.get(msg.backend_operation_response.request_id)
            if answer is not None and not answer.done():
                answer.set_result(msg.backend_operation_response)

    def _remember(self, msg: ForwardMsg) -> None:
        self._cache[msg.hash] = msg
        self._cache.move_to_end(msg.hash)
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)

    def _run_started(self, msg: ForwardMsg) -> None:
        self._runs += 1
        self._idle.clear()
        init = msg.new_session.initialize
        if init.session_id:
            self.session_id = init.session_id
        if msg.new_session.page_script_hash:
            self.page_script_hash = msg.new_session.page_script_hash
        self._run_texts = {}
        self._run_widgets = {}
        self._run_errors = []
        if self._waiter is not None:
            self._waiter["runs"] += 1
        elif self._runs > 1:
            self.stray_runs += 1

    def _run_finished(self, status: int) -> None:
        if status == EARLY:  # another run follows
            return
        waiter = self._waiter
        errors = list(self._run_errors)
        if status == COMPILE_ERROR:
            errors.append("the script did not compile")
        if status in FINISHED_OK or status == COMPILE_ERROR:
            self._texts = [self._run_texts[path] for path in sorted(self._run_texts)]
            if status in FINISHED_OK:
                self.widgets = {w.key: w for w in self._run_widgets.values()}
                drawn = {w.id for w in self._run_widgets.values()}
                self.values = {i: v for i, v in self.values.items() if i in drawn}
        self._idle.set()
        if waiter is None or self._runs <= waiter["after"] or waiter["future"].done():
            return
        if errors:
            waiter["future"].set_exception(StError("; ".join(errors)[:500]))
            return
        waiter["future"].set_result(RunResult(
            seconds=time.perf_counter() - waiter["start"], runs=waiter["runs"],
            messages=waiter["messages"], bytes=waiter["bytes"], texts=list(self._texts)))

    def _delta(self, delta: Any, path: tuple[int, ...]) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind in ("markdown", "heading", "text"):
            self._run_texts[path] = getattr(element, kind).body
        elif kind == "alert":
            self._run_texts[path] = element.alert.body
        elif kind == "exception":
            error = element.exception
            self._run_errors.append(f"exception in the page: {error.type}: {error.message}"[:300])
            self._run_texts[path] = f"{error.type}: {error.message}"
        elif kind == "empty":
            self._run_texts.pop(path, None)
        elif kind == "component_instance":
            self._component(element.component_instance)
        elif kind in ("selectbox", "radio", "multiselect", "slider", "checkbox",
                      "download_button", "button", "file_uploader"):
            proto = getattr(element, kind)
            if kind == "slider" and proto.options:
                kind = "select_slider"
            match = WIDGET_ID.match(proto.id)
            widget = Widget(proto.id, match.group(1) if match else proto.id, kind,
                            list(getattr(proto, "options", [])),
                            bool(getattr(proto, "disabled", False)), proto)
            self._run_widgets[proto.id] = widget
            value = _field_and_value(proto, kind, self.values.get(proto.id))
            if value is not None:
                self.values[proto.id] = value

    def _component(self, component: Any) -> None:
        widget = Widget(component.id, component.component_name, "component",
                        element=component)
        self._run_widgets[component.id] = widget
        if (component.component_name == MAP_COMPONENT and self.report_map
                and not self._map_reported and self._waiter is not None
                and self._waiter["first"]):
            # The map's first frame (mapapp.js): {"map_ready": true} as the component's
            # value. The page's first run waits for it; what this request waits for is
            # the run that comes after it.
            self._map_reported = True
            self.values[component.id] = ("json_value", json.dumps(
                {"last_active_drawing": None, "map_ready": True}))
            self._waiter["after"] = self._runs
            asyncio.get_running_loop().create_task(self._send_quietly(self._rerun_msg()))

    async def _send_quietly(self, back: BackMsg) -> None:
        try:
            await self._send(back)
        except StError as exc:
            self._fail(exc)
