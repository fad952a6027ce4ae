"""Handlers run one at a time, except one nested into a handler that waits on an
emulator API call (the stage-stack teardown deleting stacks whose custom resources run)."""

import threading
import time

from scripts.emulator import runtime
from scripts.emulator.runtime import _InvocationLock

# A stand-in for http.client's HTTPResponse.getresponse frame, as the holder's thread
# would show it while it waits for the emulator's answer.
WAITING_SOURCE = """
def getresponse(entered, release):
    entered.set()
    return release.wait(2)
"""


def waiting_on_http():
    namespace: dict = {}
    exec(compile(WAITING_SOURCE, "/fake/http/client.py", "exec"), namespace)
    return namespace["getresponse"]


def test_a_second_invocation_waits_while_the_first_runs():
    lock = _InvocationLock()
    order = []
    inside = threading.Event()

    def first():
        with lock:
            inside.set()
            time.sleep(0.3)
            order.append("first done")

    def second():
        inside.wait(2)
        with lock:
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert order == ["first done", "second in"]


def test_an_invocation_nests_into_one_waiting_for_an_api_answer():
    lock = _InvocationLock()
    entered, release, nested = threading.Event(), threading.Event(), threading.Event()
    getresponse = waiting_on_http()

    answered = []

    def holder():
        with lock:
            answered.append(getresponse(entered, release))

    def caused():
        entered.wait(2)
        with lock:
            nested.set()
        release.set()

    threads = [threading.Thread(target=holder), threading.Thread(target=caused)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert nested.is_set()
    assert answered == [True], "the nested invocation waited for the holder: a deadlock"


def test_a_handler_that_waited_for_the_lock_gets_its_whole_timeout(tmp_path):
    """Lambda's timeout starts with the handler, not with the wait for another region's."""
    (tmp_path / "app.py").write_text(
        "def handler(event, context):\n    return context.get_remaining_time_in_millis()\n"
    )
    context = runtime.LambdaContext("fn", "arn:aws:lambda:eu-west-1:1:function:fn", 128, 1)
    held = threading.Event()

    def other_region_handler():
        with runtime._LOCK.region("us-east-1"):
            held.set()
            time.sleep(1.2)  # longer than the waiting function's whole timeout

    holder = threading.Thread(target=other_region_handler)
    holder.start()
    held.wait(2)
    result = runtime.run_handler(tmp_path, "app.handler", {}, context, {})
    holder.join()

    assert not result.errored, result.payload
    assert int(result.payload) > 800  # of 1,000 ms; 0 if the clock ran during the wait
