"""docs/notebooks/*.ipynb execute without a cell error (nbclient, the python3 kernel of
/usr/bin/python3) and their committed outputs stay small.
NVMSIM_NOTEBOOKS_WRITE=1 writes the executed notebooks back (to refresh their outputs)."""
import glob
import json
import os
import sys
import time

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "docs", "notebooks", "*.ipynb")))
MAX_BYTES = 150_000  # a committed notebook, outputs included


def test_the_three_notebooks_are_there():
    names = {os.path.basename(n) for n in NOTEBOOKS}
    assert {"failover-vs-kato.ipynb", "iopolicy.ipynb", "ghost-write.ipynb"} <= names


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A kernelspec for this interpreter (/usr/bin/python3 under ctest), whatever `python3`
    kernel another Jupyter on the machine registered; the notebooks ask for "python3"."""
    d = tmp_path_factory.mktemp("jupyter")
    os.makedirs(d / "kernels" / "nvmsim-python3")
    with open(d / "kernels" / "nvmsim-python3" / "kernel.json", "w") as f:
        json.dump({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                   "display_name": "nvmsim python3", "language": "python"}, f)
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(d) + (os.pathsep + old if old else "")
    yield "nvmsim-python3"
    if old is None:
        del os.environ["JUPYTER_PATH"]
    else:
        os.environ["JUPYTER_PATH"] = old


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_notebook_executes(path, kernel):
    assert os.path.getsize(path) < MAX_BYTES, f"{path}: committed outputs too big"
    nb = nbformat.read(path, as_version=4)
    t0 = time.monotonic()
    NotebookClient(nb, timeout=120, kernel_name=kernel,
                   resources={"metadata": {"path": os.path.dirname(path)}}).execute()
    assert time.monotonic() - t0 < 90
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    if os.environ.get("NVMSIM_NOTEBOOKS_WRITE"):
        for c in nb.cells:
            c.metadata.pop("execution", None)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nbformat.write(nb, path)
        assert os.path.getsize(path) < MAX_BYTES


def test_interrupting_the_kernel_ends_a_run_and_the_next_works(kernel):
    """Jupyter's "interrupt kernel" (SIGINT to the kernel process, which has threads) during a
    long run: the cell ends with KeyboardInterrupt at once, the next run in the same kernel works."""
    from jupyter_client import KernelManager

    km = KernelManager(kernel_name=kernel)
    km.start_kernel(cwd=ROOT)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)

        def execute(code, timeout):
            msg_id = kc.execute(code)
            while True:
                reply = kc.get_shell_msg(timeout=timeout)
                if reply["parent_header"].get("msg_id") == msg_id:
                    return reply["content"]

        assert execute("import nvmsim, threading; n = threading.active_count()", 60)["status"] == "ok"
        # stop_on_error=False: otherwise the kernel aborts the requests that follow an error for a
        # moment, and the next cell would be 'aborted' rather than run.
        msg_id = kc.execute("r = nvmsim.run(nvmsim.load('scenarios/basic-2path.yaml').set('duration', '10m'))",
                            stop_on_error=False)
        time.sleep(1.5)
        t0 = time.monotonic()
        km.interrupt_kernel()
        while True:
            reply = kc.get_shell_msg(timeout=30)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        assert time.monotonic() - t0 < 10
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        ok = execute("r = nvmsim.run(nvmsim.load('scenarios/failover/ctrl-reset.yaml'));"
                     "assert r.exit_code == 0 and r.failovers()['bios'].sum() >= 1;"
                     "assert n > 1  # the kernel had threads when nvmsim was imported", 60)
        assert ok["status"] == "ok", ok
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
