"""JupyterLab and the rendered site in a real browser: headless Chromium driven by Selenium.

JupyterLab runs on 127.0.0.1 (random free port, random token) over a copy of the notebook, so nothing it saves
reaches nbs/. Chromium's fake microphone plays a wav (`--use-file-for-fake-audio-capture`). JavaScript console
errors fail a test; screenshots are kept in work/test-artifacts/ (git-ignored). Needs `chromium` and
`chromium-driver` (scripts/setup-test.sh, run by `make test`); Selenium is handed /usr/bin/chromedriver because
Selenium Manager would try the internet.
"""
import json, os, secrets, shutil, socket, subprocess, sys, time, urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "work" / "test-artifacts"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
LDC93S1_WAV = REPO / "deepspeech_nb" / "data" / "deepspeech" / "LDC93S1.wav"
sys.path.insert(0, str(REPO / "tools"))
from execute_notebooks import write_kernelspec  # noqa: E402  the kernel `make lab` uses

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in requirements-test.txt: run make test-setup")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                                                   reason="no chromium/chromedriver: run scripts/setup-test.sh")]
# Chromium's own noise, not the page's: the fake media device and a missing favicon
BENIGN_CONSOLE = ("favicon.ico",)


def free_port() -> int:
    "A TCP port nothing listens on right now."
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def wait_http(url: str, seconds: float = 90) -> None:
    "Wait until `url` answers (any HTTP status), or fail naming it."
    deadline = time.time() + seconds
    while time.time() < deadline:
        try: urllib.request.urlopen(url, timeout=2); return
        except urllib.error.HTTPError: return
        except OSError: time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


# every cell in the DOM (JupyterLab 4 draws only the visible ones by default), and no news pop-up over the page
LAB_SETTINGS = {"@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
                "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False}}


def write_lab_settings(folder: Path) -> None:
    "JupyterLab user settings for the test session."
    for plugin, settings in LAB_SETTINGS.items():
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True); path.write_text(json.dumps(settings))


@contextmanager
def jupyter_lab(root: Path):
    "JupyterLab serving `root` on 127.0.0.1; yields its base URL with the token."
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_PATH": str(root / ".jupyter-path"), "JUPYTER_DATA_DIR": str(root / ".jupyter-data"), "JUPYTER_CONFIG_DIR": str(root / ".jupyter-config"),
           "JUPYTERLAB_WORKSPACES_DIR": str(root / ".jupyter-workspaces"), "PYTHONPATH": str(REPO)}
    write_kernelspec(root / ".jupyter-path")   # JUPYTER_PATH comes before the venv's own python3 kernel
    write_lab_settings(root / ".jupyter-settings")
    # trusted, as on the machine that ran `make notebooks` (untrusted outputs show widgets as text)
    subprocess.run([str(REPO / ".venv" / "bin" / "jupyter"), "trust", *map(str, root.glob("*.ipynb"))], env=env, check=True,
                   capture_output=True)
    env["JUPYTERLAB_SETTINGS_DIR"] = str(root / ".jupyter-settings")
    cmd = [str(REPO / ".venv" / "bin" / "jupyter"), "lab", "--no-browser", "--ip", "127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.news_url=",
           "--ServerApp.disable_check_xsrf=False"] + (["--allow-root"] if os.getuid() == 0 else [])
    log = open(root / "jupyter.log", "w")
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/api/status?token={token}")
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.terminate()
        try: server.wait(20)
        except subprocess.TimeoutExpired: server.kill()
        log.close()


@contextmanager
def chromium(fake_audio: Path = LDC93S1_WAV):
    "Headless Chromium with a fake microphone playing `fake_audio` and its console log kept."
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={fake_audio}", "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(str(CHROMEDRIVER)), options=options)
    try: yield driver
    finally: driver.quit()


def console_errors(driver) -> list:
    "The page's JavaScript console errors so far."
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and not any(b in e["message"] for b in BENIGN_CONSOLE)]


def screenshot(driver, name: str) -> Path:
    "Save a screenshot as a test artefact; returns its path."
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path)); return path


def wait_for(driver, condition, seconds: float = 120, what: str = "the page"):
    "Poll `condition(driver)` until truthy; fails with a screenshot named after `what`."
    try: return WebDriverWait(driver, seconds, poll_frequency=0.5).until(condition)
    except Exception:
        shot = screenshot(driver, "timeout-" + what.replace(" ", "-"))
        raise AssertionError(f"timed out waiting for {what} (screenshot {shot})") from None


def accept_kernel_dialog(driver) -> None:
    "Answer JupyterLab's 'Select Kernel' question (it sometimes asks on a loaded machine) with the offered python3."
    for dialog in driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog"):
        if "Select Kernel" in dialog.text:
            screenshot(driver, "select-kernel-dialog")
            dialog.find_element(By.CSS_SELECTOR, ".jp-Dialog-button.jp-mod-accept").click(); time.sleep(1)


def run_all(driver, tries: int = 3) -> None:
    "Run > Run All Cells, through JupyterLab's menu; clicked again when no cell starts (a menu opened too early)."
    def started(d): return any(p.text.strip() not in ("", "[ ]:") for p in d.find_elements(By.CSS_SELECTOR, ".jp-InputArea-prompt"))
    for attempt in range(tries):
        accept_kernel_dialog(driver)
        dialogs = driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog")
        if dialogs: raise AssertionError(f"JupyterLab asks: {dialogs[0].text!r} (screenshot {screenshot(driver, 'dialog')})")
        wait_for(driver, lambda d: d.find_element(By.XPATH, "//div[contains(@class,'lm-MenuBar-itemLabel') and text()='Run']"),
                 what="the Run menu").click()
        wait_for(driver, lambda d: d.find_element(By.XPATH, "//div[contains(@class,'lm-Menu-itemLabel') and text()='Run All Cells']"),
                 what="Run All Cells").click()
        try: WebDriverWait(driver, 20, poll_frequency=0.5).until(started); return
        except Exception: driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    raise AssertionError(f"Run All Cells started no cell in {tries} tries (screenshot {screenshot(driver, 'run-all')})")


def kernel_idle(driver) -> bool:
    "True when no cell waits or runs (no `[*]` prompt) and the kernel reports idle."
    prompts = driver.find_elements(By.CSS_SELECTOR, ".jp-InputArea-prompt")
    return prompts and not any("*" in p.text for p in prompts)


def open_notebook(driver, base: str, token: str, name: str) -> None:
    "Open notebook `name` in JupyterLab and wait for its cells."
    driver.get(f"{base}/lab/tree/{name}?token={token}")
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"), what=f"{name} to open")


def dirty(driver) -> bool:
    "True when the notebook's tab is marked modified."
    return bool(driver.find_elements(By.CSS_SELECTOR, ".lm-TabBar-tab.jp-mod-current.jp-mod-dirty"))


def explorer(driver):
    "The augmentation explorer's box: the VBox holding the 'augmentation' dropdown."
    return driver.find_element(By.XPATH, "//label[text()='augmentation']/ancestor::div[contains(@class,'widget-vbox')][1]")


def explorer_view(driver) -> dict:
    "What the explorer shows: the --augment text, the augmented player's source, the picture's source and sizes."
    box = explorer(driver)
    img = box.find_element(By.CSS_SELECTOR, "img")
    audios = box.find_elements(By.CSS_SELECTOR, "audio source, audio")
    label = box.find_element(By.XPATH, ".//label[text()='augmentation']")
    return {"spec": box.find_element(By.CSS_SELECTOR, "code").text,
            "player": (audios[-1].get_attribute("src") or "")[:200] + str(len(audios[-1].get_attribute("src") or "")),
            "image": img.get_attribute("src"),
            "natural": driver.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", img),
            "drawn": driver.execute_script("return [arguments[0].clientWidth, arguments[0].clientHeight]", img),
            "label_cut": driver.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", label)}


@pytest.fixture
def widgets_lab(tmp_path):
    "JupyterLab over a copy of nbs/18_widgets.ipynb, and Chromium."
    shutil.copy(REPO / "nbs" / "18_widgets.ipynb", tmp_path)
    with jupyter_lab(tmp_path) as (base, token), chromium() as driver:
        yield driver, base, token


def test_widgets_lesson_in_jupyterlab(widgets_lab):
    driver, base, token = widgets_lab
    open_notebook(driver, base, token, "18_widgets.ipynb")
    # reopened as committed: the saved widget state draws the explorer as the prose describes, nothing "not found"
    saved = wait_for(driver, lambda d: explorer_view(d), what="the saved explorer")
    assert saved["spec"] == "--augment reverb[delay=20.0,decay=10.0]", saved["spec"]
    assert "model not found" not in driver.find_element(By.TAG_NAME, "body").text
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator[data-status='idle']"),
             what="the kernel to start")
    time.sleep(2); assert not dirty(driver), "opening the notebook marked it modified"
    run_all(driver)
    time.sleep(3)
    wait_for(driver, kernel_idle, seconds=300, what="Run All to finish")
    before = wait_for(driver, lambda d: explorer_view(d), what="the explorer after Run All")
    assert before["spec"] == saved["spec"] and not before["label_cut"], before
    assert before["natural"] == before["drawn"], f"spectrogram {before['natural']} drawn at {before['drawn']}"
    screenshot(driver, "widgets-after-run-all")
    # move the 'delay start' slider 5 steps right with the keyboard, as a user would after clicking its handle
    handle = explorer(driver).find_element(By.XPATH, ".//div[contains(@class,'widget-slider')][label[text()='delay start']]"
                                                     "//div[contains(@class,'noUi-handle')]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", handle)
    handle.click()
    for _ in range(5): handle.send_keys(Keys.ARROW_RIGHT)
    after = wait_for(driver, lambda d: (v := explorer_view(d))["spec"] != before["spec"] and v["image"] != before["image"] and v,
                     seconds=60, what="the explorer to update")
    assert after["spec"] == "--augment reverb[delay=25.0:20.0,decay=10.0]", after["spec"]
    assert after["player"] != before["player"] and after["natural"] == after["drawn"]
    screenshot(driver, "widgets-after-slider")
    assert not console_errors(driver), console_errors(driver)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    "The rendered site (`make docs`'s command, into a temporary folder), served on 127.0.0.1."
    import http.server, threading, functools
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run([str(REPO / ".venv" / "bin" / "sphinx-build"), "-q", "-b", "html", "-c", str(REPO / "docs"),
                            str(REPO / "nbs"), str(out)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_rendered_site_shows_lesson_figures_and_players(site):
    with chromium() as driver:
        driver.get(f"{site}/index.html")
        lessons = {a.get_attribute("href").rsplit("/", 1)[-1] for a in driver.find_elements(By.CSS_SELECTOR, "article a")}
        assert {"00_core.html", "18_widgets.html", "21_runs.html"} <= lessons, sorted(lessons)[:30]
        driver.get(f"{site}/18_widgets.html")
        images = wait_for(driver, lambda d: [i for i in d.find_elements(By.CSS_SELECTOR, ".cell_output img")
                                             if d.execute_script("return arguments[0].naturalWidth", i) > 0],
                          seconds=30, what="the site's spectrograms")
        players = driver.find_elements(By.CSS_SELECTOR, ".cell_output audio")
        assert len(images) >= 14 and len(players) >= 8, (len(images), len(players))
        durations = wait_for(driver, lambda d: [t for p in players if (t := d.execute_script(
            "return arguments[0].readyState > 0 && arguments[0].duration", p))], seconds=30, what="audio metadata")
        assert all(2.5 < t < 3.5 for t in durations), durations   # LDC93S1 is 2.92 s
        screenshot(driver, "site-18_widgets")
        driver.get(f"{site}/02_audio.html")
        assert driver.find_elements(By.CSS_SELECTOR, ".cell_output img") and driver.find_elements(By.CSS_SELECTOR, ".cell_output audio")
        table = driver.find_element(By.XPATH, "//table[.//td[contains(text(),'libopus default')]]")
        assert "NaN" not in table.text and "20.3" in table.text, table.text
        assert "#| hide" not in driver.find_element(By.TAG_NAME, "body").text   # nbdev's hidden cells stay hidden
        assert not console_errors(driver), console_errors(driver)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    "An exported model that knows LDC93S1 ($DEEPSPEECH_NB_MODEL, else trained here as tutorial 05 does: ~1 min)."
    if os.environ.get("DEEPSPEECH_NB_MODEL"): return Path(os.environ["DEEPSPEECH_NB_MODEL"])
    folder, bin_dir = tmp_path_factory.mktemp("voice"), REPO / ".venv" / "bin"
    subprocess.run([str(bin_dir / "deepspeech-nb"), "import-ldc93s1", str(folder / "data")], check=True, capture_output=True)
    subprocess.run([str(bin_dir / "python"), str(REPO / "DeepSpeech.py"), "--noshow_progressbar", "--train_files",
                    str(folder / "data" / "ldc93s1.csv"), "--train_batch_size", "1", "--n_hidden", "100", "--epochs", "200",
                    "--dropout_rate", "0", "--learning_rate", "0.002", "--checkpoint_dir", str(folder / "checkpoints"),
                    "--export_dir", str(folder / "model"), "--export_tflite"], check=True, capture_output=True)
    return folder / "model"


def with_parameters(src: Path, dest: Path, **values) -> Path:
    "A copy of notebook `src` whose papermill `parameters` cell sets `values` (as papermill would)."
    nb = json.loads(src.read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    cell["source"] = "".join(cell["source"]) + "\n" + "\n".join(f"{k} = {v!r}" for k, v in values.items()) + "\n"
    dest.write_text(json.dumps(nb)); return dest


def test_recorder_transcribes_the_fake_microphone(tmp_path, tiny_model):
    with_parameters(REPO / "nbs" / "tutorials" / "05_your_voice.ipynb", tmp_path / "05_your_voice.ipynb",
                    model_path=str(tiny_model))
    with jupyter_lab(tmp_path) as (base, token), chromium(LDC93S1_WAV) as driver:
        open_notebook(driver, base, token, "05_your_voice.ipynb")
        wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator[data-status='idle']"),
                 what="the kernel to start")
        run_all(driver)
        time.sleep(3)
        wait_for(driver, kernel_idle, seconds=300, what="Run All to finish")
        button = wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, "button.ds-record"), what="the Record button")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()     # the fake microphone plays LDC93S1.wav
        transcript = wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".ds-transcript").text, seconds=60,
                              what="the transcript")
        screenshot(driver, "recorder-transcript")
        # the fake device loops the file from wherever its clock is: the first and last words may be clipped
        assert "dark suit in greasy wash water" in transcript, transcript
        timings = driver.find_element(By.XPATH, "//p[contains(@class,'ds-transcript')]/..").text
        assert "s of audio transcribed in" in timings, timings
        assert not console_errors(driver), console_errors(driver)
