// glassnet explorer: draws what the server sends. Every number shown comes from the session state or the
// step trace (StepTrace.to_dict()); nothing here recomputes the maths. The API is described in the
// project's spec for issue 13: every endpoint returns the whole state, and this page draws it.
//
// How the page talks to the server:
// - One queue: every request waits for the one before it, so replies arrive in the order they were asked.
// - A generation counter grows whenever the network is replaced (New network, Reset, a changed setting).
//   A reply from an older generation, or for another session, is dropped and never drawn.
import {drawBoundary, drawCurve, drawNeuronMaps} from "./charts.js";

const $ = (id) => document.getElementById(id);
const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

// Used only when the server sends no presets: settings that train well for each dataset.
const FALLBACK_PRESETS = {
  "worked-example": {hidden_layers: [2], activation: "sigmoid", loss: "half_sse", learning_rate: 0.5, bias: "frozen",
    tolerance: 1e-5, test_ratio: 0},
};
const FIXED_SETS = ["worked-example", "xor", "iris", "csv"];  // datasets without a noise setting
const PLAY_CHUNK = {steps: 5000, max_ms: 60};  // one reply every ~60 ms while playing: >= 10 frames a second
const BUSY_RETRIES = 60;  // a playing loop waits up to a minute for a busy server (429) before it gives up
const REPLAY_CHUNK = 5000;  // the most steps one request may train (the server's limit)
const TRAINING_FIELDS = ["learning_rate", "batch_size", "l2"];  // changed without a new network (PATCH)

const FOLD_ROWS = 150;  // a longer table starts folded (see table())

const page = {
  folds: {},         // the tables a learner opened or closed: kept open or closed from frame to frame
  options: null,
  state: null,       // the last state drawn
  session: null,     // its session id
  generation: 0,     // grows when the network is replaced; older replies are dropped
  selected: null,    // the parameter whose chain rule is shown
  focusNeuron: null, // the neuron whose map the large picture shows instead of the decision boundary
  running: null,     // "play" or "converge" while a training loop runs
  loop: null,        // the number of the loop that runs (see runLoop)
  paused: false,     // the user paused a loop (shown until the next action)
  busy: new Set(),   // the buttons whose requests are in flight
  invalid: null,     // a message while a setting is invalid: training is disabled until it is fixed
  stale: false,      // the drawing is the previous network (the new settings were refused)
  rebuilding: null,  // [k, N] while a URL's run is replayed
  viewWanted: 0,     // the step the time slider asks for
  viewToken: 0,      // grows with every slider move and every live request: only the newest view is drawn
  viewQueued: false,
  dataSeed: 0,
  startTraining: null,  // the learning rate, batch size and L2 the run started with (for the URL)
};
window.glassnetFrames = 0;  // how many times the page has drawn a state (for tests and curious learners)
window.glassnetDrawMs = 0;  // and how many milliseconds that took

// ------------------------------------------------------------------------------------------- numbers
// The number format the page and the server agree on: 9 significant digits, exponent for tiny and huge.
export function fmt(v) {
  if (v === null || v === undefined) return "–";
  const x = Number(v);
  if (x === 0) return "0";
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e9) return x.toExponential(8);
  return x.toPrecision(9);
}

// ------------------------------------------------------------------------------------------- requests
class ApiError extends Error {
  constructor(message, status) { super(message); this.status = status; }
}

// Every request that returns the state asks for the network's layout at the picture's width.
function withWidth(path) {
  const width = Math.max(240, Math.min(4000, Math.round($("network").clientWidth || 640)));
  return `${path}${path.includes("?") ? "&" : "?"}width=${width}`;
}

let inFlight = 0;  // requests sent and not yet answered
async function api(method, path, body) {
  inFlight += 1;
  try {
    const response = await fetch(path, {
      method,
      headers: body === undefined ? {} : {"Content-Type": "application/json"},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new ApiError(data.detail || `request failed (${response.status})`, response.status);
    return data;
  } finally {
    inFlight -= 1;
  }
}

// Whether the page is at rest: no request on its way, nothing playing, no button or typed setting waiting
// (for tests, which wait for this condition rather than for a time).
window.glassnetIdle = () => inFlight === 0 && !page.running && page.busy.size === 0 && !page.rebuilding && !pendingApply;

// The queue: each task starts when the previous one has finished (or failed).
let tail = Promise.resolve();
function enqueue(task) {
  const run = tail.then(task);
  tail = run.catch(() => {});
  return run;
}

// A request in the queue for the current generation: resolves to the new state, or to null when the reply
// belongs to an older generation or another session (then it is not drawn, and neither is its error).
// `path` and `body` may be functions: they are read when the request is sent (the session id may be new
// by then). `create` marks the request that makes a new session: its reply brings the id.
function request(method, path, body, {create = false} = {}) {
  const generation = page.generation;
  return enqueue(async () => {
    if (generation !== page.generation) return null;  // replaced before it was sent
    let state;
    try {
      const payload = typeof body === "function" ? await body() : body;
      state = await api(method, withWidth(typeof path === "function" ? path() : path), payload);
    } catch (error) {
      if (generation !== page.generation) return null;
      throw error;
    }
    if (generation !== page.generation) return null;
    if (create) page.session = state.session;
    else if (state.session !== page.session) return null;
    return state;
  });
}

const sessionPath = (action) => () => `/api/sessions/${page.session}${action ? "/" + action : ""}`;

// A new network: a new generation, so that nothing still on its way for the old one is drawn.
function newGeneration() {
  page.generation += 1;
  page.running = null;
  page.loop = null;
  page.viewToken += 1;
  page.selected = null;
  page.focusNeuron = null;
}

// ------------------------------------------------------------------------------------------- errors
function showError(error) {
  const box = $("error");
  if (!error) { box.hidden = true; box.textContent = ""; return; }
  box.hidden = false;
  box.textContent = String(error.message || error);
}

// Runs an action started by the user; its error shows in the alert. `button` shows busy meanwhile.
async function act(action, button) {
  showError(null);
  if (button) setBusy(button, true);
  try {
    await action();
  } catch (error) {
    showError(error);
  } finally {
    if (button) setBusy(button, false);
  }
}

function setBusy(button, busy) {
  if (busy) page.busy.add(button);
  else page.busy.delete(button);
  updateButtons();
}

// ------------------------------------------------------------------------------------------- settings
function field(name) {
  return $("settings").elements[name] || $("training").elements[name];
}

// The label a learner sees for a field: error messages name it so.
function labelOf(name) {
  const input = field(name);
  const label = input && document.querySelector(`label[for="${input.id}"]`);
  return label ? label.textContent.trim() : name;
}

class SettingError extends Error {}

function numberField(name, {integer = false} = {}) {
  const input = field(name);
  const text = String(input.value).trim();
  const value = Number(text);
  if (text === "" || !Number.isFinite(value) || input.validity.badInput) {
    throw new SettingError(`${labelOf(name)}: enter a number`);
  }
  if (integer && !Number.isInteger(value)) throw new SettingError(`${labelOf(name)}: ${text} is not a whole number`);
  return value;
}

function parseLayers() {
  const text = String(field("hidden_layers").value).trim();
  if (text === "") return [];
  const parts = text.split(",").map((s) => s.trim()).filter(Boolean);  // "4," while typing "4,3" is [4]
  const bad = parts.find((s) => !/^\d+$/.test(s));
  if (bad !== undefined) {
    const what = `${JSON.stringify(bad)} is not a size`;
    throw new SettingError(`hidden layers: ${what}; give whole numbers separated by commas, e.g. 4,3`);
  }
  return parts.map(Number);
}

function trainingSettings() {
  return {
    learning_rate: numberField("learning_rate"),
    batch_size: numberField("batch_size", {integer: true}),
    l2: numberField("l2"),
  };
}

// What the controls choose, as the server's Settings. Throws a SettingError naming the field's label.
async function readSettings() {
  const dataset = field("dataset").value;
  const settings = {
    dataset,
    hidden_layers: parseLayers(),
    activation: field("activation").value,
    loss: field("loss").value,
    seed: numberField("seed", {integer: true}),
    bias: field("bias").value,
    noise: numberField("noise"),
    test_ratio: numberField("test_ratio"),
    data_seed: page.dataSeed,
    ...trainingSettings(),
  };
  if (dataset === "csv") Object.assign(settings, await readCsv());
  return settings;
}

async function readCsv() {
  const file = field("csvfile").files[0];
  if (!file) throw new SettingError("CSV file: choose a CSV file to upload");
  if (file.size === 0) throw new SettingError(`the CSV file ${file.name} is empty`);
  const limit = page.options.limits.upload_chars;
  if (file.size > limit) {
    throw new SettingError(`CSV file: ${file.name} has ${file.size} bytes; the explorer takes at most ${limit}`);
  }
  const csv = await file.text();
  if (csv.trim() === "") throw new SettingError(`the CSV file ${file.name} is empty`);
  const target = String(field("target").value || "").trim();
  return target ? {csv, target} : {csv};
}

function fill(select, values, chosen) {
  select.replaceChildren(...values.map((v) => {
    const option = html("option", {value: v}, v);
    option.selected = v === chosen;
    return option;
  }));
}

function showDatasetFields() {
  const dataset = field("dataset").value;
  for (const node of document.querySelectorAll(".csv-only")) node.hidden = dataset !== "csv";
  for (const node of document.querySelectorAll(".generated-only")) node.hidden = FIXED_SETS.includes(dataset);
  // the worked example's one row and xor's four have no test share to hold out and nothing to draw anew
  for (const node of document.querySelectorAll(".sampled-only")) node.hidden = ["worked-example", "xor"].includes(dataset);
}

// A dataset's preset fills the fields it names (the learner can change each afterwards).
function applyPreset(dataset) {
  const presets = (page.options && page.options.presets) || FALLBACK_PRESETS;
  const preset = presets[dataset];
  if (!preset) return;
  for (const [key, value] of Object.entries(preset)) {
    const input = key === "tolerance" ? $("tolerance") : field(key);
    if (input) input.value = Array.isArray(value) ? value.join(",") : value;
  }
}

// Marks the settings invalid (training disabled, the drawing marked as the previous network) or valid.
function setInvalid(message, {stale = false} = {}) {
  page.invalid = message;
  page.stale = Boolean(message) && (stale || page.stale);
  if (!message) page.stale = false;
  markPrevious(page.stale, "This is the previous network: fix the settings above to build a new one.");
  updateButtons();
}

// Greys the drawing and says why while it is not the network the form describes (being built, or refused).
function markPrevious(on, why) {
  $("stale").textContent = why;
  $("stale").hidden = !on;
  $("picture").classList.toggle("stale", on);
}

// ------------------------------------------------------------------------------------------- actions
// Build a new network from the controls (a new session): every setting but the training ones lands here.
async function newNetwork() {
  newGeneration();
  render.status();
  if (page.state) markPrevious(true, "This is the previous network: the new one is being built.");
  let state;
  try {
    state = await request("POST", "/api/sessions", readSettings, {create: true});
  } catch (error) {
    setInvalid(error.message, {stale: true});
    throw error;
  }
  if (!state) return null;
  setInvalid(null);
  page.paused = false;
  draw(state);
  return state;
}

// A button pressed from the keyboard keeps the focus once its request is answered (a disabled button loses
// it to the page, and the next Tab would start again from the top).
document.addEventListener("keydown", (event) => {
  if ((event.key === "Enter" || event.key === " ") && event.target.tagName === "BUTTON") page.keyboardButton = event.target;
});

function keepFocus() {
  const button = page.keyboardButton;
  if (button && !button.disabled && (document.activeElement === document.body || !document.activeElement)) {
    button.focus({preventScroll: true});
  }
}

// The learning rate, batch size or L2 changed: the network stays, the next step uses the new value.
async function changeTraining() {
  if (page.stale) return newNetwork();
  let change;
  try {
    change = trainingSettings();
  } catch (error) {
    setInvalid(error.message);
    throw error;
  }
  const current = (page.state && page.state.training) || {};
  const changed = Object.fromEntries(Object.entries(change).filter(([k, v]) => current[k] !== v));
  if (!Object.keys(changed).length) { setInvalid(null); updateButtons(); render.status(); return null; }
  let state;
  try {
    state = await request("PATCH", sessionPath("training"), changed);
  } catch (error) {
    setInvalid(error.message);
    throw error;
  }
  if (state) { setInvalid(null); draw(state); }
  return state;
}

// Text and number fields apply a short moment after typing stops (or at once on Enter, blur or any button).
let pendingApply = null;
function scheduleApply(apply) {
  clearTimeout(pendingApply && pendingApply.timer);
  if (pendingApply && pendingApply.apply === newNetwork) apply = newNetwork;  // a new network takes every field
  pendingApply = {apply, timer: setTimeout(flushSettings, 400)};
}

function flushSettings() {
  if (!pendingApply) return Promise.resolve();
  const {apply, timer} = pendingApply;
  clearTimeout(timer);
  pendingApply = null;
  return act(apply);
}

async function trainOnce(path, body, button) {
  await flushSettings();
  if (page.invalid) return;
  page.paused = false;
  page.viewToken += 1;  // a live reply replaces any view of the past
  await act(async () => {
    const state = await request("POST", sessionPath(path), body);
    if (state) draw(state);
  }, button);
}

// Play and "Train until converged": a loop of short train requests, drawn after each reply. Pressing the
// button again pauses: the reply already on its way is still drawn (the server took those steps), then the
// loop ends and the page says "paused".
let loops = 0;  // each loop's number: a loop goes on only while page.loop is its own
async function runLoop(kind) {
  await flushSettings();
  if (page.running === kind) { page.running = null; page.loop = null; updateButtons(); return; }
  if (page.invalid || page.running) return;
  const generation = page.generation, loop = ++loops;
  page.running = kind;
  page.loop = loop;
  page.paused = false;
  page.viewToken += 1;
  updateButtons();
  render.status();
  const chunk = async () => {
    const body = {...PLAY_CHUNK};
    if (kind === "converge") Object.assign(body, {until_converged: true, loss_tol: tolerance()});
    for (let attempt = 1; ; attempt++) {
      try {
        return await request("POST", sessionPath("train"), body);
      } catch (error) {  // other tabs keep the server busy (429): wait and go on, as long as the loop runs
        if (!(error instanceof ApiError && error.status === 429) || page.loop !== loop || attempt > BUSY_RETRIES) throw error;
        $("status").textContent = `the explorer is busy with other tabs' training: trying again (${attempt})`;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  };
  let done = false;
  await act(async () => {
    // The next chunk is asked for before this one is drawn, so the server trains while the page draws.
    let next = chunk();
    while (next) {
      const state = await next;
      if (!state) break;  // a new network or a Reset came in between
      done = Boolean(state.stopped) && (kind === "converge" || state.stopped.kind !== "converged");
      next = page.loop === loop && !done ? chunk() : null;
      draw(state);
    }
  });
  if (page.loop === loop) { page.loop = null; page.running = null; }
  else if (generation === page.generation && !done && !page.running) page.paused = true;  // the user paused
  updateButtons();
  render.status();
}

function tolerance() {
  const value = Number($("tolerance").value);
  if (!(value > 0)) throw new SettingError("tolerance: enter a number greater than 0");
  return value;
}

async function reset() {
  const selected = page.selected;  // the same network shape: its chain rule stays in view
  newGeneration();
  page.selected = selected;
  page.paused = false;
  await act(async () => {
    const state = await request("POST", sessionPath("reset"));
    if (state) draw(state);
  }, $("reset"));
}

async function regenerate() {
  page.dataSeed = Math.floor(Math.random() * 2 ** 31);
  await act(newNetwork, $("regenerate"));
}

// Time travel: the slider asks for a step; only the newest ask is sent and drawn.
function viewStep(k) {
  if (page.running) { page.running = null; page.loop = null; }
  page.viewWanted = k;
  page.viewToken += 1;
  $("time-label").textContent = `step ${k} of ${page.state ? page.state.steps : k}`;
  if (page.viewQueued) return;  // the queued ask will read viewWanted when its turn comes
  page.viewQueued = true;
  const generation = page.generation;
  enqueue(async () => {
    page.viewQueued = false;
    const token = page.viewToken, step = page.viewWanted;
    if (generation !== page.generation) return;
    const state = await api("GET", withWidth(sessionPath(`steps/${step}`)()));
    if (generation !== page.generation || state.session !== page.session || token !== page.viewToken) return;
    draw(state);
  }).catch((error) => generation === page.generation && showError(error));
}

async function backToLatest() {
  page.viewToken += 1;
  await act(async () => {
    const state = await request("GET", sessionPath(""));
    if (state) draw(state);
  }, $("live"));
}

async function setParameter(event) {
  event.preventDefault();
  const name = page.selected;
  const value = Number($("edit-value").value);
  if (!name || $("edit-value").value.trim() === "" || !Number.isFinite(value)) {
    showError(`value of ${name}: enter a number`);
    return;
  }
  await act(async () => {
    const state = await request("POST", sessionPath("parameters"), {name, value});
    if (state) draw(state);
  }, $("edit-apply"));
}

// Show a parameter's chain rule. Chosen with the keyboard, the focus stays on the same weight or row in
// the redrawn picture or table, so that Tab goes on from there.
function select(name, fromKeyboard = false) {
  const where = document.activeElement && document.activeElement.closest("#network, #parameters");
  page.selected = name;
  if (page.state) draw(page.state, {count: false});
  if (fromKeyboard && where) where.querySelector(`[data-param="${name}"][role=button]`)?.focus();
}

// ------------------------------------------------------------------------------------------- drawing
// Draw a state: every panel, the buttons and the URL.
function draw(state, {count = true} = {}) {
  const started = performance.now();
  const curve = $("curve");
  const curveSize = [curve.clientWidth, curve.clientHeight];  // read before any change: no forced layout
  page.state = state;
  if (count) window.glassnetFrames += 1;
  window.glassnetState = state;  // the state drawn, for tests and the curious
  if (state.steps === 0 && !state.events.length) page.startTraining = state.training;
  syncTrainingFields(state);
  render.summary(state);
  render.time(state);
  drawNetwork(state);
  drawNeuronMaps($("network"), state);
  drawParameters(state);
  drawCurve(curve, state, curveSize);
  $("boundary-box").hidden = !state.two_d;
  if (!(state.maps && page.focusNeuron in state.maps.neurons)) page.focusNeuron = null;
  drawBoundary($("boundary-box"), state, page.focusNeuron);
  render.standardization(state);
  drawChain(state);
  drawSteps(state);
  render.status();
  updateButtons();
  saveToUrl(state);
  window.glassnetDrawMs = (window.glassnetDrawMs || 0) + (performance.now() - started);  // time spent drawing
}

// Draw the state shown once more and say how many milliseconds it took (benchmarks/bench_explorer.py).
window.glassnetDrawFrame = () => {
  const started = performance.now();
  draw(page.state, {count: false});
  return performance.now() - started;
};

// The training fields show what is in effect (after a rebuild, say), unless the learner is editing them.
function syncTrainingFields(state) {
  if (!state.training || pendingApply || page.invalid) return;
  for (const key of TRAINING_FIELDS) {
    const input = field(key);
    if (document.activeElement !== input) input.value = state.training[key];
  }
}

const render = {
  summary(state) {
    byTestId("steps").textContent = String(state.steps);
    const shown = shownTrace(state);
    byTestId("total-error").textContent = shown ? fmt(lossOf(shown)) : "–";
    const batch = shown && shown.batch ? ` (the mean over its batch of ${shown.batch.size})` : "";
    $("total-error-label").textContent = (state.preview ? "E_total of the next step (preview)" : "E_total of the step shown") + batch;
    byTestId("data-loss").textContent = fmt(state.loss);
    $("test-loss-value").textContent = state.test_examples ? fmt(state.test_loss) : "no test data";
    const rows = (n, what) => `${n} ${what} row${n === 1 ? "" : "s"}`;
    const test = state.test_examples ? `, ${rows(state.test_examples, "test")}` : "";
    $("rows").textContent = rows(state.examples, "training") + test;
    $("steps-title").textContent = state.preview ? "The seven steps of the next step (a preview)"
      : state.viewing ? `The seven steps of step ${state.viewing}` : "The seven steps";
  },

  time(state) {
    const box = $("time"), slider = $("time-slider");
    box.hidden = state.steps === 0;
    slider.disabled = state.steps === 0;
    slider.max = String(Math.max(1, state.steps));
    if (!page.viewQueued) slider.value = String(Math.max(1, state.viewing));  // unless a newer ask is on its way
    $("time-label").textContent = `step ${state.viewing} of ${state.steps}`;
    $("live").disabled = state.live;
    $("picture").classList.toggle("past", !state.live);
  },

  standardization(state) {
    const note = $("standardized");
    note.hidden = !state.standardized;
    if (!state.standardized) return;
    let text = "inputs are standardized: (x − mean)/scale";
    if (state.example) {
      const raw = Object.entries(state.example.raw).map(([f, v]) => `${f} = ${fmt(v)}`).join(", ");
      text += `; the example's raw values: ${raw} (training row ${state.example.row})`;
    }
    if (state.standardization) {
      const {mean, scale} = state.standardization;
      const each = state.features.map((f, k) => `${f} ${fmt(mean[k])}, ${fmt(scale[k])}`);
      text += `. Per feature, mean and scale: ${each.join("; ")}`;
    }
    note.textContent = text;
  },

  // The state word (data-testid converged) and a line saying what the page is doing.
  status() {
    const state = page.state;
    const stopped = state && state.stopped;
    const limit = (s) => (s.kind === "limit" ? "stopped" : s.kind);
    let word = "ready";
    if (page.running) word = "playing";
    else if (stopped) word = `${limit(stopped)}: ${stopped.message}`;
    else if (page.paused) word = "paused";
    byTestId("converged").textContent = word;
    if (stopped && stopped.kind === "diverged" && $("error").hidden) showError(`diverged: ${stopped.message}`);
    let line = word;
    if (page.rebuilding) line = `rebuilding step ${page.rebuilding[0]} of ${page.rebuilding[1]}`;
    else if (page.invalid) line = `settings need a fix: ${page.invalid}`;
    else if (state && !state.live) line = `viewing step ${state.viewing} of ${state.steps}: Step or Play returns to the latest`;
    else if (page.running === "converge") line = `training until converged (tolerance ${$("tolerance").value})`;
    else if (state) line = `${word} · step ${state.steps}`;
    $("status").textContent = line;
  },
};

// Enable, disable and label the buttons for what is going on.
function updateButtons() {
  const state = page.state;
  const blocked = Boolean(page.invalid) || !state || Boolean(page.rebuilding);
  const busy = page.busy.size > 0;
  const playing = page.running === "play", converging = page.running === "converge";
  const buttons = {
    step: blocked || Boolean(page.running) || busy,
    train: blocked || Boolean(page.running) || busy,
    play: blocked || converging || busy,
    converge: blocked || playing || busy,
    reset: !state || Boolean(page.rebuilding) || page.stale,
    regenerate: Boolean(page.rebuilding),
    apply: Boolean(page.rebuilding),
    live: !state || state.live,
    "edit-apply": !state || !state.live || Boolean(page.running) || busy,
  };
  for (const [id, disabled] of Object.entries(buttons)) $(id).disabled = disabled;
  $("play").textContent = playing ? "Pause" : "Play";
  $("play").setAttribute("aria-pressed", String(playing));
  $("converge").textContent = converging ? "Stop" : "Train until converged";
  for (const id of ["apply", "play", "step", "train", "converge", "reset", "regenerate", "live", "edit-apply"]) {
    const on = page.busy.has($(id)) || (id === "play" && playing) || (id === "converge" && converging);
    $(id).setAttribute("aria-busy", String(on));
    if (page.busy.has($(id))) $(id).disabled = true;  // a button whose request is on its way waits for it
  }
  keepFocus();
}

// The trace the panels show: the preview after a weight edit, else the trace of the step shown.
function shownTrace(state) {
  return state.preview || state.trace;
}

function html(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function neuronsOf(trace) {
  const map = {};
  if (trace) for (const layer of trace.layers) for (const n of layer.neurons) map[n.name] = n;
  return map;
}

// A neuron's name as a learner reads it: inputs with their feature, outputs with what they stand for
// ("i1 · petal length", "o1 · setosa"). Hidden neurons keep their name.
function longName(state, name) {
  if (state.task === "worked-example") return name;  // its inputs and outputs have no other names
  const inputs = state.names[0], outputs = state.names[state.names.length - 1];
  const k = inputs.indexOf(name), j = outputs.indexOf(name);
  const what = k >= 0 ? (state.features || [])[k] : j >= 0 ? (state.outputs || [])[j] : null;
  return what && what !== name ? `${name} · ${what}` : name;
}

// The attributes that make an SVG element or a table row act as a button: focusable, named, pressed when
// chosen. Clicks and Enter/Space reach it through one listener on its container (see listenForChoices).
function selectable(name, label) {
  return `tabindex="0" role="button" aria-label="${esc(label)}" aria-pressed="${page.selected === name}"`;
}

// Text for HTML and SVG markup: the page builds its large tables and drawing as one string each (a 4 x 16
// network has 900 weights: one string is several times faster than 10,000 elements made one by one).
function esc(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})[c]);
}

function attrs(values) {
  return Object.entries(values).map(([k, v]) => `${k}="${esc(v)}"`).join(" ");
}

// One listener per container for every weight, bias and neuron in it: a click or Enter/Space on a weight or
// bias chooses it; on a neuron with a map, shows its map in the large picture (and hovering shows it there).
function listenForChoices(container) {
  const choose = (target, fromKeyboard) => {
    const param = target.closest("[data-param]");
    if (param && container.contains(param)) { select(param.getAttribute("data-param"), fromKeyboard); return true; }
    const neuron = target.closest("g.has-map");
    if (neuron) { toggleMap(neuron.getAttribute("data-neuron")); return true; }
    return false;
  };
  container.addEventListener("click", (event) => choose(event.target, false));
  container.addEventListener("keydown", (event) => {
    if ((event.key === "Enter" || event.key === " ") && event.target.getAttribute("role") === "button"
      && choose(event.target, true)) event.preventDefault();
  });
  container.addEventListener("mouseover", (event) => {
    const neuron = event.target.closest("g.has-map");
    if (neuron) drawBoundary($("boundary-box"), page.state, neuron.getAttribute("data-neuron"));
  });
  container.addEventListener("mouseout", (event) => {
    const neuron = event.target.closest("g.has-map");
    if (neuron && !neuron.contains(event.relatedTarget)) drawBoundary($("boundary-box"), page.state, page.focusNeuron);
  });
}

// A neuron with a map (2-D data): a click (or Enter) keeps its map in the large picture, a second one brings
// back the decision boundary.
function toggleMap(name) {
  page.focusNeuron = page.focusNeuron === name ? null : name;
  for (const g of $("network").querySelectorAll("g.has-map")) {
    g.setAttribute("aria-pressed", String(page.focusNeuron === g.getAttribute("data-neuron")));
  }
  drawBoundary($("boundary-box"), page.state, page.focusNeuron);
}

function describe(state, p) {
  if (p.kind === "weight") {
    return `${p.name} = ${fmt(p.value)}, from ${longName(state, p.source)} to ${longName(state, p.targets[0])}`;
  }
  return `${p.name} = ${fmt(p.value)}, bias of ${p.targets.map((t) => longName(state, t)).join(", ")}`;
}

// The server places everything (glassnet.explain.layout) for the width this page asks for (withWidth);
// this only draws where state.layout says.
function noteId(layout, name, line) {
  if (name.startsWith("i")) return `value-${name}`;
  return layout.dense || line === 1 ? `out-${name}` : `net-${name}`;
}

function drawNetwork(state) {
  const svg = $("network");
  const lay = state.layout;
  svg.style.height = `${lay.height}px`;
  svg.setAttribute("viewBox", `0 0 ${lay.width} ${lay.height}`);
  const params = Object.fromEntries(state.parameters.map((p) => [p.name, p]));
  const labels = Object.fromEntries(lay.labels.map((l) => [l.key, l]));
  const largest = Math.max(1e-12, ...lay.edges.map((e) => Math.abs(params[e.key].value)));
  const texts = [];
  const lines = lay.edges.map((e) => drawEdge(state, params[e.key], e, labels[e.key], largest, texts));
  const biasOf = {};
  for (const p of state.parameters) if (p.kind === "bias") for (const t of p.targets) (biasOf[t] ||= []).push(p);
  const trace = neuronsOf(shownTrace(state));
  const neurons = lay.neurons.map((n) => drawNeuron(state, n, labels, biasOf[n.name] || [], trace));
  for (const label of lay.labels) {
    if (label.kind === "bias") texts.push(drawBias(state, params[label.key], label));
    else if (label.kind === "more") {
      texts.push(`<text ${attrs({x: label.x, y: label.y, "text-anchor": "middle", class: "note"})}>${esc(label.text)}</text>`);
    }
  }
  svg.innerHTML = `<g>${lines.join("")}</g>${neurons.join("")}<g>${texts.join("")}</g>`;
}

function drawEdge(state, p, e, label, largest, texts) {
  const selected = page.selected === p.name ? " selected" : "";
  const colour = p.value >= 0 ? "#2b6cb0" : "#c53030";
  const {x1, y1, x2, y2} = e;
  const width = (0.6 + 4.4 * Math.sqrt(Math.abs(p.value) / largest)).toFixed(2);
  const about = describe(state, p);
  if (label) {
    const text = attrs({x: label.x, y: label.y, "text-anchor": "middle", class: "value", fill: colour});
    const b = label.box;  // a white card under the text, so that the edge does not strike it through
    const card = b ? `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="2" class="card"/>` : "";
    texts.push(`<g class="edge-label${selected}" data-param="${p.name}">${card}<text ${text}>${esc(label.text)}</text></g>`);
  }
  const line = `x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"`;
  return `<g class="edge${selected}" data-param="${p.name}" ${selectable(p.name, about)}>`
    + `<line ${line} stroke="${colour}" stroke-width="${width}"/><line ${line} stroke="transparent" stroke-width="9"/>`
    + `<title>${esc(about)}</title></g>`;
}

function drawBias(state, b, label) {
  const selected = page.selected === b.name ? " selected" : "";
  const place = attrs({x: label.x, y: label.y, "text-anchor": "middle", class: "value bias" + selected, "data-param": b.name});
  return `<text ${place} ${selectable(b.name, describe(state, b))}>${esc(label.text)}</text>`;
}

function drawNeuron(state, n, labels, biases, trace) {
  const {name, x, y, r} = n;
  const colour = name.startsWith("i") ? "#edf2f7" : name.startsWith("h") ? "#fefcbf" : "#c6f6d5";
  const hover = [longName(state, name)];
  const t = trace[name], shown = shownTrace(state);
  if (t) hover.push(`net ${fmt(t.z)}, out ${fmt(t.a)}`);
  else if (shown && name in shown.inputs) hover.push(`value ${fmt(shown.inputs[name])}`);
  for (const b of biases) hover.push(`${b.name} = ${fmt(b.value)}`);
  let role = "";
  if (state.maps && name in state.maps.neurons) {  // hovering shows its map in the large picture (listenForChoices)
    const label = `${longName(state, name)}: show its output over the input plane in the large picture`;
    role = ` tabindex="0" role="button" aria-label="${esc(label)}" aria-pressed="${page.focusNeuron === name}"`;
  }
  const notes = [];
  for (let k = 0; labels[`${name}#${k}`]; k++) {
    const note = labels[`${name}#${k}`];
    const place = {x: note.x, y: note.y, "text-anchor": "middle", class: "note", "data-testid": noteId(state.layout, name, k)};
    notes.push(`<text ${attrs(place)}>${esc(note.text)}</text>`);
  }
  return `<g class="neuron${role ? " has-map" : ""}" data-neuron="${name}"${role}>`
    + `<circle cx="${x}" cy="${y}" r="${r}" fill="${colour}"/>`
    + `<text x="${x}" y="${y + 4}" text-anchor="middle" font-weight="bold">${esc(name)}</text>`
    + `<title>${esc(hover.join("\n"))}</title>${notes.join("")}</g>`;
}

function drawParameters(state) {
  const fold = $("parameters-fold");
  fold.open = page.folds.parameters ?? state.parameters.length <= FOLD_ROWS;
  $("parameters-count").textContent = `${state.parameters.length} weights and biases`;
  if (!fold.open) { $("parameters").replaceChildren(); return; }  // written when it is opened
  const rows = state.parameters.map((p) => {
    const where = p.kind === "weight"
      ? `${longName(state, p.source)} → ${longName(state, p.targets[0])}`
      : `bias of ${p.targets.map((t) => longName(state, t)).join(", ")}`;
    const selected = page.selected === p.name ? "selected" : "";
    return `<tr class="${selected}" data-param="${p.name}" ${selectable(p.name, describe(state, p))}>`
      + `<td>${p.name}</td><td>${esc(where)}</td><td class="num" data-testid="param-${p.name}">${fmt(p.value)}</td></tr>`;
  });
  const caption = state.live ? "after the latest step" : `after step ${state.viewing}`;
  $("parameters").innerHTML = `<caption class="hint">${caption}</caption>`
    + `<tr><th scope="col">parameter</th><th scope="col">connects</th><th scope="col">value</th></tr>${rows.join("")}`;
}

// A table of the seven steps. One longer than FOLD_ROWS folds into a <details> that starts closed (a
// 4 x 16 network's tables have thousands of rows: laying them all out would take most of each frame); a
// learner's opening or closing of it is kept from frame to frame (page.folds, by ``key``).
function table(rows, head, key = null) {
  const box = html("div", {class: "wide"});
  const fill = () => {
    const header = head ? `<tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join("")}</tr>` : "";
    const body = rows.map((row) => `<tr>${row.map((cell, i) => `<td${i ? ' class="num"' : ""}>${esc(cell)}</td>`).join("")}</tr>`);
    box.innerHTML = `<table>${header}${body.join("")}</table>`;
  };
  if (rows.length <= 40) { fill(); return box; }
  const details = html("details", {class: "fold"});
  details.open = (key && page.folds[key]) ?? rows.length <= FOLD_ROWS;
  if (details.open) fill();  // a folded table is written when it is opened
  details.addEventListener("toggle", () => {
    if (key) page.folds[key] = details.open;
    if (details.open && !box.firstChild) fill();
  });
  details.append(html("summary", {}, `${rows.length} rows`), box);
  return details;
}

function drawSteps(state) {
  const box = $("seven");
  box.replaceChildren();
  const tr = shownTrace(state);
  const banner = $("preview");
  banner.hidden = !state.preview;
  if (state.preview) banner.textContent = previewText(state);
  if (!tr) { box.append(html("p", {}, "Press Step to run one training step.")); return; }
  box.append(...batchNote(tr));
  const section = (title, ...nodes) => box.append(html("h3", {}, title), ...nodes);
  const name = (n) => longName(state, n);
  const layers = tr.layers, out = layers[layers.length - 1];
  section("1. Initialize — the example, and the weights before this step", table([
    ...Object.entries(tr.inputs).map(([k, v]) => [name(k), fmt(v)]),
    ...Object.entries(tr.targets).map(([k, v]) => [`target ${name(k)}`, fmt(v)]),
    ...tr.parameters.map((p) => [p.name, fmt(p.old)])], null, "step1"));
  const hidden = layers.slice(0, -1).map((l) => l.activation);
  const activations = `${hidden.length ? `hidden: ${[...new Set(hidden)].join(", ")}; ` : ""}output: ${out.activation}`;
  section(`2. Forward propagation: net = Σ w·out + b, out = f(net) (${activations})`,
    table(layers.flatMap((l) => l.neurons.map((n) => [name(n.name), fmt(n.z), fmt(n.a)])), ["neuron", "net", "out"],
      "step2"));
  section(`3. Loss (${tr.loss})`, table([
    ...Object.entries(tr.loss_terms).map(([k, v]) => [`E_${name(k)}`, fmt(v)]), ["E_total", fmt(tr.loss_total)]]));
  const deltas = (l) => l.neurons.map((n) => [name(n.name), fmt(n.dE_da), fmt(n.da_dz), fmt(n.delta)]);
  const deltaHead = ["neuron", "dE/dout", "dout/dnet", "delta"];
  section(`4. Backpropagation, output layer (delta = ${out.delta_rule})`, table(deltas(out), deltaHead));
  const back = layers.slice(0, -1).reverse().flatMap(deltas);
  section("5. Backpropagation, hidden layers (weights before this step)",
    back.length ? table(back, deltaHead, "step5") : html("p", {}, "no hidden layer"));
  section(`6. Update: ${updateRule(tr)}`, ...batchUpdateNote(tr),
    table(tr.parameters.map((p) => [p.name, fmt(p.old), fmt(gradOf(tr, p)), fmt(newOf(tr, p))]),
      ["parameter", "old", "dE/dparam", "new"], "step6"));
  section("7. Repeat", table([
    [tr.batch ? "E_total of its batch before this step" : "E_total before this step", fmt(lossOf(tr))],
    ["after its update", state.preview ? "(not taken yet)" : fmt(tr.batch ? tr.batch.loss_after : tr.loss_after)],
    ["loss over the training data", fmt(state.loss)]]), ...classicNote(state, tr));
}

// With a batch, step 6 uses the batch's mean gradient (steps 2-5 follow its first example), and the step's
// E_total is the batch's mean loss.
const gradOf = (tr, p) => (tr.batch ? tr.batch.grads[p.name] : p.grad);
const newOf = (tr, p) => (tr.batch ? tr.batch.new[p.name] : p.new);
const lossOf = (tr) => (tr.batch ? tr.batch.loss : tr.loss_total);

function updateRule(tr) {
  const l2 = tr.l2 ? ` + λ·w) for weights, λ = ${tr.l2}` : ")";
  return `w ← w − η·(dE/dw${l2} (η = ${tr.learning_rate})`;
}

function batchNote(tr) {
  if (!tr.batch) return [];
  return [html("p", {class: "hint", "data-testid": "batch-note"}, `A batch of ${tr.batch.size} rows: steps 2-5 show `
    + `its first example (row ${tr.row}); step 6 is the batch's update, with its mean gradient `
    + `(the sum over the batch, then ÷ ${tr.batch.size}; mean E ${fmt(tr.batch.loss)}).`)];
}

function batchUpdateNote(tr) {
  if (!tr.batch) return [];
  return [html("p", {class: "hint"}, `dE/dparam is the mean over the batch's ${tr.batch.size} rows, as applied`)];
}

function previewText(state) {
  const edits = state.events.filter(([k, e]) => k === state.steps && e.set).map(([, e]) => e.set);
  const set = Object.entries(Object.assign({}, ...edits)).map(([n, v]) => `${n} = ${fmt(v)}`).join(", ");
  const what = set || "the edited value";
  return `Preview: the next step's forward pass and loss with ${what}, not yet taken. Step or Play takes it.`;
}

// The classic write-up of the worked example prints another number after its first update: say why.
function classicNote(state, tr) {
  const classic = state.task === "worked-example" && state.viewing === 1 && !state.preview
    && fmt(tr.loss_total) === "0.298371109" && tr.learning_rate === 0.5;
  if (!classic) return [];
  const p = html("p", {class: "note"});
  const link = html("a", {href: "/writeup#classic-note"}, "see the note");
  p.append("The classic write-up prints 0.291027924 here; its hidden-layer updates used the already-updated w5…w8 — ", link);
  return [p];
}

function drawChain(state) {
  const box = $("chain");
  const tr = shownTrace(state);
  drawEdit(state);
  if (!page.selected) { box.textContent = "Click a weight or bias to see its chain rule."; return; }
  const current = state.parameters.find((p) => p.name === page.selected);
  if (!tr) { box.textContent = `${page.selected} = ${fmt(current && current.value)}\nPress Step to see its chain rule.`; return; }
  const p = tr.parameters.find((q) => q.name === page.selected);
  if (!p) { box.textContent = ""; return; }
  // With a batch, the chain rule is worked for its first example (dE_row/dw), then the mean the update used.
  const lhs = tr.batch ? `dE_${tr.row}` : "dE";
  const lines = tr.batch ? [`for row ${tr.row}, the first of the batch's ${tr.batch.size} rows:`] : [];
  lines.push(...(p.kind === "weight" ? weightChain(tr, p, lhs) : biasChain(tr, p, lhs)));
  if (tr.batch) {
    lines.push("", `the update uses the mean over the batch's ${tr.batch.size} rows (sum over the batch, then ÷ ${tr.batch.size}):`,
      `dE/d${p.name} = (dE_${tr.batch.rows[0]}/d${p.name} + … ) / ${tr.batch.size} = ${fmt(gradOf(tr, p))}`);
  }
  const frozen = p.kind === "bias" && !tr.train_biases;
  const step = state.preview ? "the next step (preview)" : `step ${state.viewing}`;
  lines.push("", frozen ? `${p.name} = ${fmt(p.old)} (frozen: biases are not updated)`
    : `${p.name}: ${fmt(p.old)} → ${fmt(newOf(tr, p))}   (${p.name} − η·dE/d${p.name}, η = ${tr.learning_rate})`);
  const title = html("strong", {}, `The chain rule for ${p.name}, ${step}`);
  box.replaceChildren(title, document.createTextNode("\n" + lines.join("\n")));
}

// A factor in a product: negative numbers in parentheses, so that "·" and "×" never meet a minus sign.
const factor = (x) => (x < 0 ? `(${fmt(x)})` : fmt(x));

function weightChain(tr, p, lhs = "dE") {
  const neurons = neuronsOf(tr);
  const n = p.targets[0], layer = tr.layers[p.layer - 1], pad = " ".repeat(p.name.length + lhs.length + 2);
  const lines = [];
  if (layer.delta_form === "chain_rule") {
    lines.push(`${lhs}/d${p.name} = ${lhs}/dout_${n} × dout_${n}/dnet_${n} × dnet_${n}/d${p.name}`);
    lines.push(`${pad} = ${factor(p.dE_da)} × ${factor(p.da_dz)} × ${factor(p.dz_dw)}`);
  } else {
    lines.push(`${lhs}/d${p.name} = delta_${n} × dnet_${n}/d${p.name}      (delta_${n} = ${layer.delta_rule})`);
    lines.push(`${pad} = ${factor(neurons[n].delta)} × ${factor(p.dz_dw)}`);
  }
  lines.push(`${pad} = ${fmt(p.grad)}`);
  if (p.layer < tr.layers.length) {
    const terms = neurons[n].dE_da_terms;
    lines.push("", `${lhs}/dout_${n} = ${terms.map((c) => `delta_${c.via}·${c.weight}`).join(" + ")}`);
    const products = terms.map((c) => `${factor(c.delta)}·${factor(c.w)}`).join(" + ");
    lines.push(`${" ".repeat(n.length + lhs.length + 6)} = ${products} = ${fmt(neurons[n].dE_da)}`);
  }
  return lines;
}

function biasChain(tr, p, lhs = "dE") {
  const neurons = neuronsOf(tr), pad = " ".repeat(p.name.length + lhs.length + 2);
  return [
    `${lhs}/d${p.name} = ${p.targets.map((t) => `delta_${t}`).join(" + ")}`,
    `${pad} = ${p.targets.map((t) => fmt(neurons[t].delta)).join(" + ")} = ${fmt(p.grad)}`,
  ];
}

// The edit form under the chain rule: set the selected weight or bias by hand (only at the latest step).
function drawEdit(state) {
  const form = $("edit"), input = $("edit-value");
  form.hidden = !page.selected;
  if (!page.selected) return;
  const p = state.parameters.find((q) => q.name === page.selected);
  $("edit-label").textContent = `new value of ${page.selected}`;
  const past = !state.live;
  input.disabled = past;
  $("edit-note").textContent = past ? "Weights can be set only at the latest step: press Latest first." : "";
  if (p && document.activeElement !== input) input.value = fmt(p.value);  // its value at the step shown
}

// ------------------------------------------------------------------------------------------- the URL
// The settings (not the CSV text), the steps taken and the events go into the query string, so that a
// reload, or the link sent to a friend, rebuilds the same run.
const URL_KEYS = {
  dataset: "dataset", hidden_layers: "layers", activation: "activation", loss: "loss", learning_rate: "lr",
  seed: "seed", bias: "bias", noise: "noise", test_ratio: "test", batch_size: "batch", l2: "l2",
  data_seed: "data_seed", target: "target",
};

function saveToUrl(state) {
  if (page.rebuilding || !state.live) return;
  // The training settings the run started with (state.settings and state.training have the latest ones);
  // the changes since are events, replayed at their steps.
  const settings = {...state.settings, ...(page.startTraining || {})};
  const query = new URLSearchParams();
  for (const [key, name] of Object.entries(URL_KEYS)) {
    const value = settings[key];
    if (value === null || value === undefined) continue;
    query.set(name, Array.isArray(value) ? value.join(",") : String(value));
  }
  query.set("tol", $("tolerance").value);
  query.set("steps", String(state.steps));
  if (state.events.length) query.set("events", JSON.stringify(state.events));
  history.replaceState(null, "", `${location.pathname}?${query}`);
}

// Fill the controls from the URL; returns {steps, events} to replay, or null when the URL has no run.
function loadFromUrl() {
  const query = new URLSearchParams(location.search);
  if (!query.has("dataset")) return null;
  const dataset = query.get("dataset");
  const choices = [...field("dataset").options].map((o) => o.value);
  if (!choices.includes(dataset)) {
    throw new Error(`the link names the dataset '${dataset}'; expected one of ${choices.join(", ")}`);
  }
  applyPreset(dataset);  // what the link leaves out is the dataset's preset, as when it is picked by hand
  for (const [key, name] of Object.entries(URL_KEYS)) {
    if (!query.has(name)) continue;
    if (key === "data_seed") page.dataSeed = Number(query.get(name)) || 0;
    else if (field(key)) field(key).value = query.get(name);
  }
  if (query.has("tol")) $("tolerance").value = query.get("tol");
  showDatasetFields();
  let events = [];
  try {
    events = JSON.parse(query.get("events") || "[]");
  } catch {
    throw new Error("the link's events are not readable JSON: the run starts from step 0");
  }
  return {steps: Math.max(0, Number(query.get("steps")) || 0), events};
}

// Replay a run: train exactly to each event's step (in chunks the server accepts), apply the event, and
// so on to `steps`. Every request is an ordinary one; only the drawing of the URL waits till the end.
async function replay(steps, events) {
  const generation = page.generation;
  const ordered = [...events].sort((a, b) => a[0] - b[0]);
  let at = 0;
  const advance = async (goal) => {
    while (at < goal && generation === page.generation) {
      page.rebuilding = [at, steps];
      render.status();
      const state = await request("POST", sessionPath("train"), {steps: Math.min(REPLAY_CHUNK, goal - at)});
      if (!state) return;
      at = state.steps;
      page.rebuilding = [at, steps];
      draw(state);
    }
  };
  try {
    for (const [step, change] of ordered) {
      await advance(Math.min(step, steps));
      if (step > steps || generation !== page.generation) break;
      const state = change.set
        ? await applyEdits(change.set)
        : await request("PATCH", sessionPath("training"), change);
      if (state) draw(state);
    }
    await advance(steps);
  } finally {
    page.rebuilding = null;
  }
  if (page.state && generation === page.generation) draw(page.state, {count: false});
}

async function applyEdits(set) {
  let state = null;
  for (const [name, value] of Object.entries(set)) state = await request("POST", sessionPath("parameters"), {name, value});
  return state;
}

// The server lays the picture out for the page's width: a new width (a turned phone, a resized window)
// asks for the same state again at that width.
let laidOutFor = 0, resizing = null;
function relayout() {
  clearTimeout(resizing);
  resizing = setTimeout(() => {
    const width = $("network").clientWidth, state = page.state;
    if (!state || page.running || page.rebuilding || Math.abs(width - laidOutFor) < 40) return;
    laidOutFor = width;
    act(async () => {
      const again = await request("GET", sessionPath(state.live ? "" : `steps/${state.viewing}`));
      if (again) draw(again, {count: false});
    });
  }, 300);
}

// ------------------------------------------------------------------------------------------- start
function listen() {
  laidOutFor = $("network").clientWidth;
  window.addEventListener("resize", relayout);
  listenForChoices($("network"));
  listenForChoices($("parameters"));
  $("parameters-fold").addEventListener("toggle", () => {  // the learner's choice; and an opened table is written
    const state = page.state, open = $("parameters-fold").open;
    if (!state || open === (page.folds.parameters ?? state.parameters.length <= FOLD_ROWS)) return;
    page.folds.parameters = open;
    if (open) drawParameters(state);
  });
  const settings = $("settings");
  const later = () => scheduleApply(newNetwork);
  settings.addEventListener("submit", (event) => { event.preventDefault(); pendingApply = null; act(newNetwork, $("apply")); });
  field("dataset").addEventListener("change", () => {
    showDatasetFields();
    applyPreset(field("dataset").value);
    if (field("dataset").value === "csv" && !field("csvfile").files.length) {
      newGeneration();
      setInvalid("CSV file: choose a CSV file to upload", {stale: true});
      render.status();
      return;
    }
    pendingApply = null;
    act(newNetwork);
  });
  for (const name of ["activation", "loss", "bias", "csvfile"]) {
    field(name).addEventListener("change", () => { pendingApply = null; act(newNetwork); });
  }
  for (const name of ["hidden_layers", "seed", "noise", "test_ratio", "target"]) {
    field(name).addEventListener("input", later);
    field(name).addEventListener("change", () => flushSettings());
  }
  const training = $("training");
  training.addEventListener("submit", (event) => { event.preventDefault(); flushSettings(); });
  for (const name of TRAINING_FIELDS) {
    field(name).addEventListener("input", () => scheduleApply(changeTraining));
    field(name).addEventListener("change", () => flushSettings());
  }
  $("tolerance").addEventListener("change", () => page.state && saveToUrl(page.state));
  $("play").addEventListener("click", () => runLoop("play"));
  $("converge").addEventListener("click", () => runLoop("converge"));
  $("step").addEventListener("click", () => trainOnce("step", undefined, $("step")));
  $("train").addEventListener("click", () => trainOnce("train", {steps: 100}, $("train")));
  $("reset").addEventListener("click", () => flushSettings().then(reset));
  $("regenerate").addEventListener("click", regenerate);
  $("time-slider").addEventListener("input", (event) => viewStep(Number(event.target.value)));
  $("live").addEventListener("click", backToLatest);
  $("edit").addEventListener("submit", setParameter);
}

async function start() {
  const options = await api("GET", "/api/options");
  page.options = options;
  fill(field("dataset"), options.datasets, "worked-example");
  fill(field("activation"), options.activations, "sigmoid");
  fill(field("loss"), options.losses, "half_sse");
  fill(field("bias"), options.bias, "frozen");
  showDatasetFields();
  listen();
  let run = null;
  try {
    run = loadFromUrl();
  } catch (error) {
    showError(error);
  }
  if (run && field("dataset").value === "csv") {
    showError("the link's CSV data is not kept in the link: choose the CSV file again");
    field("dataset").value = "worked-example";
    applyPreset("worked-example");
    showDatasetFields();
    run = null;
  }
  await newNetwork();
  document.body.setAttribute("data-ready", "true");
  if (run && (run.steps > 0 || run.events.length)) await act(() => replay(run.steps, run.events));
}

act(start).finally(() => document.body.setAttribute("data-ready", "true"));
