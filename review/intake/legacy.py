"""Legacy and foreign formats (doc, wps, rtf, odt, xls), read through a LibreOffice conversion.

Writing binary Word/Excel readers is out of scope; LibreOffice converts them faithfully, comments and
tracked changes included. doc/wps/rtf/odt become docx and xls becomes xlsx, which the docx and xlsx
readers then read as usual. The Document keeps the original path, format, size and sha256, and a
warning says it was converted.

Each conversion runs `soffice --headless` with its own throwaway profile directory: LibreOffice
refuses to start a second instance on a profile that is in use, so parallel workers sharing the
default profile would fail or wait on each other. The process runs in its own process group and is
killed with all its children when the per-document deadline runs out.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from review import errors
from review.document import Document
from review.errors import DocumentError

# Debian packages that provide the converter, named in the error so an operator can fix it.
_PACKAGE = {"docx": "libreoffice-writer-nogui", "xlsx": "libreoffice-calc-nogui"}

# Names of OLE streams as they appear (UTF-16LE) in the compound file's directory.
_WORD_STREAM = "WordDocument".encode("utf-16-le")
_EXCEL_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
_ENCRYPTED_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def parse(source, config, deadline) -> Document:
    from review.intake import Source  # the package imports this module lazily: no import cycle

    if source.data.startswith(_OLE) and all(name in source.data for name in _ENCRYPTED_STREAMS):
        # A password-protected docx/xlsx is an OLE file holding the encrypted zip: it sniffs as doc/xls.
        raise DocumentError("the file is encrypted (password-protected)", code=errors.ENCRYPTED,
                            hint="save an unprotected copy and submit that")
    kind = _input_kind(source)
    target = "xlsx" if kind == "xls" else "docx"
    converter = find_converter(config, source.format, target)
    converted = _convert(converter, source.data, kind, target, deadline)

    if target == "docx":
        from review.intake import docx as reader  # written separately; imported only when needed
    else:
        from review.intake import xlsx as reader
    document = reader.parse(Source(path=source.path, data=converted, sha256=source.sha256, format=target),
                            config, deadline)
    document.format = source.format
    document.size = len(source.data)
    version = converter_version(converter)
    document.warnings.append(f"converted from {source.format} with LibreOffice" + (f" {version}" if version else "")
                             + f" and read as {target}; layout details may differ from the original")
    return document


def _input_kind(source) -> str:
    """The extension to give LibreOffice. The sniffer names OLE files by their extension; the stream
    names tell better: a Kingsoft .wps is a Word binary, and an OLE file holding a workbook is an xls
    whatever its name (converting it to docx would fail)."""
    if source.format not in {"doc", "wps", "xls"}:
        return source.format
    word = _WORD_STREAM in source.data
    excel = any(name in source.data for name in _EXCEL_STREAMS)
    if word and not (source.format == "xls" and excel):
        return "doc"
    if excel and not word:
        return "xls"
    return source.format


def find_converter(config, fmt: str = "doc", target: str = "docx") -> str:
    """The soffice executable: config.converter when set, else soffice or libreoffice on PATH."""
    package = _PACKAGE[target]
    if config.converter:
        if os.path.isfile(config.converter) and os.access(config.converter, os.X_OK):
            return config.converter
        raise DocumentError(f"reading .{fmt} files needs LibreOffice (soffice); the configured converter "
                            f"{config.converter} does not exist or is not executable",
                            code=errors.CONVERTER_MISSING,
                            hint=f"fix `converter` in the scan configuration, or apt-get install {package}")
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise DocumentError(f"reading .{fmt} files needs LibreOffice (soffice), which is not installed: "
                            f"apt-get install {package}", code=errors.CONVERTER_MISSING,
                            hint="or save the file as docx/xlsx and submit that")
    return found


@functools.lru_cache(maxsize=8)
def converter_version(converter: str) -> str | None:
    """'7.4.7.2' from `soffice --version`; None when it cannot be told (the warning just omits it)."""
    try:
        result = subprocess.run([converter, "--version"], capture_output=True, timeout=30, text=True,
                                errors="replace")
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"LibreOffice\S*\s+(\d+(?:\.\d+)+)", result.stdout)
    return match.group(1) if match else None


def _convert(converter: str, data: bytes, kind: str, target: str, deadline) -> bytes:
    with tempfile.TemporaryDirectory(prefix="review-convert-") as work:
        work_dir = Path(work)
        source = work_dir / f"input.{kind}"
        source.write_bytes(data)
        out_dir = work_dir / "out"
        out_dir.mkdir()
        command = [converter, f"-env:UserInstallation={(work_dir / 'profile').as_uri()}",
                   "--headless", "--invisible", "--nologo", "--nodefault", "--norestore", "--nolockcheck",
                   "--convert-to", target, "--outdir", str(out_dir), str(source)]
        stdout, stderr, code = _run(command, deadline, work_dir)
        result = out_dir / f"input.{target}"
        if code != 0 or not result.is_file() or result.stat().st_size == 0:
            # soffice prints "Error: source file could not be loaded" and the like; its start-up
            # noise about Java is no help to anyone
            said = " ".join(line.strip() for line in (stderr + "\n" + stdout).splitlines()
                            if line.strip() and "javaldx" not in line)[-300:]
            raise DocumentError(f"LibreOffice could not convert the {kind} file to {target}"
                                + (f" (exit code {code})" if code else "") + (f": {said}" if said else ""),
                                code=errors.CONVERSION_FAILED,
                                hint=f"the file may be damaged, password-protected, or not really a .{kind} file")
        return result.read_bytes()


def _run(command: list[str], deadline, work_dir: Path) -> tuple[str, str, int]:
    """Run the converter within what is left of the deadline; kill its whole process group on expiry
    (soffice is a wrapper script that starts oosplash and soffice.bin)."""
    deadline.check()
    remaining = max(deadline.until - time.monotonic(), 0.1)
    environment = dict(os.environ, HOME=str(work_dir))  # nothing written to the real home directory
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                   cwd=work_dir, env=environment, start_new_session=True)
    except OSError as exc:
        raise DocumentError(f"LibreOffice ({command[0]}) could not be started: {exc.strerror}",
                            code=errors.CONVERSION_FAILED) from None
    try:
        stdout, stderr = process.communicate(timeout=remaining)
    except subprocess.TimeoutExpired:
        _kill(process)
        raise DocumentError(f"the LibreOffice conversion took longer than the {deadline.seconds:g} s limit",
                            code=errors.TIMEOUT, hint="raise timeout_seconds, or convert the file yourself") from None
    except BaseException:  # the SIGALRM backstop or Ctrl-C interrupted communicate(): leave no orphans
        _kill(process)
        raise
    return (stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"), process.returncode)


def _kill(process: subprocess.Popen) -> None:
    """Kill the converter's process group. Only called before the process is reaped, so the group id
    is still ours (the unreaped leader keeps it from being reused)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the group: soffice's children too
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.communicate(timeout=5)  # reap it and close the pipes
    except (subprocess.TimeoutExpired, ValueError, OSError):
        pass
