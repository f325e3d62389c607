"""Load benchmark of the review service: concurrent drafters upload documents to a real uvicorn server
(a subprocess on SQLite in a temporary data dir); halfway through the server is killed with SIGKILL and
started again. Prints upload latency (p50/p95), throughput, review throughput, and checks that every
uploaded document has exactly one submission with exactly one finished review (none lost, none doubled).
Also times the review of a 10-page docx.

    .venv/bin/python bench/service_load.py [--documents 1000] [--drafters 50] [--processes 1] [--think 2 [--random-pause]]
                                           [--app-dir OTHER_CHECKOUT]

Latency is given twice: as the drafter's task sees it (from the call) and on the wire (from the first byte
of the request sent to the whole response received). The difference is this generator's own queueing:
50 drafters share one Python event loop (and the machine's cores, with the server), and in a burst each
waits while the others' requests are sent (its CPU use is printed). Real drafters each have their own
browser. The multipart bodies are encoded before the clock starts for the same reason.

Targets (issue 5): p95 to accept an upload < 200 ms; review of a 10-page docx < 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import docx
import httpx

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench password 1"
ACCOUNTS = 10  # drafter accounts (over 5 units); the concurrent drafters share their tokens


def document(number: int, paragraphs: int = 6) -> bytes:
    """An invented notice, unique per number, with a resident's ID number and mobile in it."""
    from review.detect.validators import id_check_digit

    body = f"1101051980{number % 12 + 1:02d}{number % 28 + 1:02d}{number % 1000:03d}"
    notice = docx.Document()
    notice.add_paragraph(f"示例县民政局关于第{number}批临时救助对象的公示")
    for paragraph in range(paragraphs):
        notice.add_paragraph(f"第{paragraph + 1}项：经乡镇审核、县级复核，申请人（身份证号{body}{id_check_digit(body)}，"
                             f"联系电话1380013{number % 10000:04d}）符合临时救助条件，拟发放救助金{number}元。"
                             "公示期间如有异议，请向县民政局反映。" * 2)
    buffer = io.BytesIO()
    notice.save(buffer)
    return buffer.getvalue()


def ten_page_docx() -> bytes:
    notice = docx.Document()
    notice.add_paragraph("示例县人民政府办公室关于印发2025年政务公开工作要点的通知")
    for page in range(10):
        for paragraph in range(12):
            notice.add_paragraph(f"（{page}.{paragraph}）全面推进决策、执行、管理、服务、结果公开，"
                                 "加强政策解读和回应关切，规范依申请公开办理，提升政务公开标准化规范化水平。")
        table = notice.add_table(rows=3, cols=3)
        for cell in table._cells:
            cell.text = "责任单位：县政府办公室"
        notice.add_page_break()
    buffer = io.BytesIO()
    notice.save(buffer)
    return buffer.getvalue()


class Server:
    def __init__(self, data_dir: Path, processes: int, app_dir: Path = ROOT):
        self.app_dir = app_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "REVIEW_DATA_DIR": str(data_dir), "REVIEW_WORKER_PROCESSES": str(processes),
                    "REVIEW_SECRET_KEY": "bench-secret-key-0123456789", "REVIEW_LOGIN_ATTEMPTS": "1000"}
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "service:app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "warning", "--no-access-log"], cwd=self.app_dir, env=self.env)
        while True:
            try:
                if httpx.get(f"{self.url}/login", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                time.sleep(0.1)
            if self.process.poll() is not None:
                raise SystemExit("the server exited at start-up")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def create_accounts(data_dir: Path) -> list[str]:
    os.environ["REVIEW_DATA_DIR"] = str(data_dir)
    from review.service.accounts import create_user
    from review.service.cli import _open_database

    _, sessions = _open_database()
    names = [f"drafter{n}" for n in range(ACCOUNTS)]
    with sessions() as session:
        for n, name in enumerate(names):
            create_user(session, name, "drafter", [f"单位{n % 5}"], PASSWORD)
    return names


async def upload_all(server: Server, documents: list[bytes], drafters: int, names: list[str], kill_after: int,
                     think: float, random_pause: bool = False):
    """Each drafter takes the next document, uploads it and retries through the outage until it has a 202."""
    pauses = random.Random(20261122)
    latencies: list[float] = []  # only uploads that went through on the first try
    wire_latencies: list[float] = []  # the same, from the first byte sent
    accepted: dict[int, int] = {}  # document number -> submission id
    pending = asyncio.Queue()
    for number in range(len(documents)):
        pending.put_nowait(number)
    # each multipart body encoded once, before the clock runs: a drafter's browser encodes its own upload,
    # while here encoding all of them would queue every drafter behind the others on this one event loop
    bodies = [multipart_body(f"公示{number}.docx", data) for number, data in enumerate(documents)]
    restart = {"killed": False, "down_seconds": 0.0}
    # the first byte of a request on the wire, per request (aiohttp's trace hooks)
    sent_at: dict[object, float] = {}

    async def headers_sent(_session, context, _params) -> None:
        sent_at[context.trace_request_ctx] = time.perf_counter()
    tracing = aiohttp.TraceConfig()
    tracing.on_request_headers_sent.append(headers_sent)
    # aiohttp, not httpx: it takes about a third of httpx's CPU per request, and this one process plays 50
    # browsers on the server's own cores. A kept-alive connection per drafter, as each browser has.
    connector = aiohttp.TCPConnector(limit=drafters, limit_per_host=drafters)
    async with aiohttp.ClientSession(connector=connector, trace_configs=[tracing],
                                     timeout=aiohttp.ClientTimeout(total=60)) as client:
        tokens = {}
        for name in names:
            async with client.post(f"{server.url}/api/token",
                                   data={"username": name, "password": PASSWORD}) as response:
                tokens[name] = {"Authorization": f"Bearer {(await response.json())['access_token']}"}

        async def drafter(index: int) -> None:
            headers = tokens[names[index % len(names)]]
            while not pending.empty():
                number = pending.get_nowait()
                first_try = True
                while True:
                    started = time.perf_counter()
                    ticket = object()
                    try:
                        content_type, body = bodies[number]
                        async with client.post(f"{server.url}/api/submissions", data=body,
                                               headers={**headers, "Content-Type": content_type},
                                               trace_request_ctx=ticket) as response:
                            status, answer = response.status, await response.read()
                    except (aiohttp.ClientError, asyncio.TimeoutError):
                        first_try = False
                        sent_at.pop(ticket, None)
                        await asyncio.sleep(0.2)
                        continue
                    if status != 202:
                        raise SystemExit(f"upload {number}: {status} {answer[:200]!r}")
                    break
                if first_try:
                    latencies.append(time.perf_counter() - started)
                    wire_latencies.append(time.perf_counter() - sent_at.pop(ticket))
                else:
                    sent_at.pop(ticket, None)
                if think:
                    # a drafter's pause between two uploads: fixed (all drafters stay in step, so the server
                    # gets bursts of 50 at once: the worst case) or exponential with that mean (independent
                    # drafters: arrivals spread out as real users' do)
                    await asyncio.sleep(pauses.expovariate(1 / think) if random_pause else think)
                accepted[number] = json.loads(answer)["id"]
                if len(accepted) == kill_after and not restart["killed"]:
                    restart["killed"] = True
                    server.kill()  # mid-run: uploads in flight and reviews in progress die with it
                    restart["down_seconds"] = await asyncio.to_thread(server.start)

        started, client_cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(drafter(index) for index in range(drafters)))
        elapsed, client_cpu = time.perf_counter() - started, time.process_time() - client_cpu
    return latencies, wire_latencies, accepted, elapsed, restart["down_seconds"], client_cpu


def multipart_body(filename: str, data: bytes) -> tuple[str, bytes]:
    """(Content-Type, body) of a multipart upload of `data`, as httpx encodes `files=`."""
    request = httpx.Request("POST", "http://bench/", files={"file": (filename, data)})
    return request.headers["Content-Type"], request.read()


def wait_for_reviews(data_dir: Path, expected: int, timeout: float) -> tuple[dict, float]:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{data_dir / 'review.db'}")
    started = time.perf_counter()
    while True:
        with engine.connect() as connection:
            counts = dict(connection.execute(text("SELECT status, count(*) FROM submissions GROUP BY status")).all())
        if counts.get("reviewed", 0) + counts.get("failed", 0) >= expected or time.perf_counter() - started > timeout:
            engine.dispose()
            return counts, time.perf_counter() - started
        time.sleep(1)


def check_exactly_once(data_dir: Path, documents: list[bytes], accepted: dict[int, int]) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{data_dir / 'review.db'}")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, sha256, status, attempts, report FROM submissions")).all()
    engine.dispose()
    by_sha: dict[str, list] = {}
    for row in rows:
        by_sha.setdefault(row.sha256, []).append(row)
    lost = doubled = wrong = 0
    for number, data in enumerate(documents):
        matches = by_sha.get(hashlib.sha256(data).hexdigest(), [])
        if not matches:
            lost += 1
            continue
        if len(matches) > 1:
            doubled += 1
        row = matches[0]
        report = json.loads(row.report) if row.report else None
        if row.id != accepted.get(number) or row.status != "reviewed" or not report or report["sha256"] != row.sha256:
            wrong += 1
    return {"submissions": len(rows), "lost": lost, "doubled": doubled, "unreviewed_or_mismatched": wrong,
            "reviewed_twice_after_restart": sum(1 for row in rows if row.attempts > 1)}


def time_ten_page_review() -> tuple[float, int]:
    """Median seconds to review (read, detect, attribute) a docx of 10 pages of about 900 characters (a 公文 page holds 22 lines of 28)."""
    from review.pipeline import review_file

    with tempfile.NamedTemporaryFile(suffix=".docx") as handle:
        handle.write(ten_page_docx())
        handle.flush()
        review_file(handle.name)  # warm-up: loads the rules and the attribute model
        times = []
        for _ in range(5):
            started = time.perf_counter()
            report = review_file(handle.name)
            times.append(time.perf_counter() - started)
    return statistics.median(times), report.size


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--drafters", type=int, default=50)
    parser.add_argument("--processes", type=int, default=1, help="review processes of the server")
    parser.add_argument("--no-kill", action="store_true", help="do not SIGKILL the server halfway")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds each drafter pauses between uploads (0: back to back, the worst case)")
    parser.add_argument("--random-pause", action="store_true",
                        help="pauses drawn from an exponential distribution with mean --think (independent drafters)")
    parser.add_argument("--app-dir", type=Path, default=ROOT,
                        help="run the server from another checkout of the project (to compare two versions)")
    args = parser.parse_args()

    seconds, size = time_ten_page_review()
    print(f"review of a 10-page docx ({size / 1024:.0f} KB): {seconds * 1000:.0f} ms (median of 5)")
    documents = [document(number) for number in range(args.documents)]
    print(f"{len(documents)} documents, {sum(map(len, documents)) / 1e6:.1f} MB, {args.drafters} concurrent drafters "
          f"(pause {'exponential, mean ' if args.random_pause else ''}{args.think} s), "
          f"{os.cpu_count()} cores, {args.processes} review process(es)")
    with tempfile.TemporaryDirectory(prefix="review-load-") as folder:
        data_dir = Path(folder)
        names = create_accounts(data_dir)
        server = Server(data_dir, args.processes, args.app_dir)
        print(f"server started in {server.start():.1f} s")
        try:
            kill_after = 0 if args.no_kill else args.documents // 2
            latencies, wire_latencies, accepted, elapsed, down, client_cpu = asyncio.run(
                upload_all(server, documents, args.drafters, names, kill_after, args.think, args.random_pause))
            if kill_after:
                print(f"SIGKILL after {kill_after} accepted uploads; restarted in {down:.1f} s")
            print(f"uploads: {len(accepted)} accepted in {elapsed:.1f} s = {len(accepted) / elapsed:.1f} uploads/s; "
                  f"latency to 202 (first tries, n={len(latencies)}): p50 {percentile(latencies, .5) * 1000:.0f} ms, "
                  f"p95 {percentile(latencies, .95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms; on the wire: "
                  f"p50 {percentile(wire_latencies, .5) * 1000:.0f} ms, p95 {percentile(wire_latencies, .95) * 1000:.0f} ms")
            print(f"load generator: {client_cpu:.1f} s CPU over {elapsed:.1f} s ({client_cpu / elapsed:.0%} of a core, "
                  f"{client_cpu / len(accepted) * 1000:.1f} ms per upload); load average {os.getloadavg()[0]:.1f}")
            counts, waited = wait_for_reviews(data_dir, len(documents), timeout=3600)
            print(f"reviews finished {waited:.1f} s after the last upload ({len(documents) / (elapsed + waited):.1f} "
                  f"reviews/s from the first upload on); statuses {counts}")
            print(f"exactly once: {check_exactly_once(data_dir, documents, accepted)}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
