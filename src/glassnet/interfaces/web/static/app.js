// glassnet explorer: draws what the server sends. Every number shown comes from the session state or the
// step trace (StepTrace.to_dict()); nothing here recomputes the maths.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);
let session = null;       // the last state from the server
let selected = null;      // the parameter whose chain rule is shown
let running = false;      // "train until converged" in progress

// Settings that train well, chosen when a dataset is picked (every one can be changed before "New network").
const PRESETS = {
  "worked-example": {hidden_layers: "2", activation: "sigmoid", loss: "half_sse", learning_rate: 0.5, bias: "frozen", tolerance: 1e-5},
  xor: {hidden_layers: "4", activation: "tanh", loss: "categorical_crossentropy", learning_rate: 0.2, bias: "per_neuron", tolerance: 0.01},
  moons: {hidden_layers: "8,8", activation: "tanh", loss: "categorical_crossentropy", learning_rate: 0.05, bias: "per_neuron", tolerance: 0.05},
  circles: {hidden_layers: "8,8", activation: "tanh", loss: "categorical_crossentropy", learning_rate: 0.05, bias: "per_neuron", tolerance: 0.05},
  spirals: {hidden_layers: "16,16", activation: "tanh", loss: "categorical_crossentropy", learning_rate: 0.03, bias: "per_neuron", tolerance: 0.1},
  iris: {hidden_layers: "8", activation: "tanh", loss: "categorical_crossentropy", learning_rate: 0.02, bias: "per_neuron", tolerance: 0.08},
  csv: {hidden_layers: "8", activation: "tanh", loss: "categorical_crossentropy", learning_rate: 0.02, bias: "per_neuron", tolerance: 0.05},
};

function fmt(v) {
  if (v === null || v === undefined) return "–";
  const x = Number(v);
  if (x === 0) return "0";
  return x.toPrecision(9);  // at least 9 significant digits
}

// Every request that returns the session's state asks for the network's layout at the picture's width.
function view(path) {
  return `${path}?width=${Math.max(240, Math.min(4000, Math.round($("network").clientWidth || 640)))}`;
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : {"Content-Type": "application/json"},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.detail || `request failed (${response.status})`);
  return data;
}

function showError(error) {
  const box = $("error");
  if (!error) { box.hidden = true; box.textContent = ""; return; }
  box.hidden = false;
  box.textContent = String(error.message || error);
}

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function html(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// ------------------------------------------------------------------------------------------- settings
async function readSettings() {
  const form = $("settings");
  const data = new FormData(form);
  const layers = String(data.get("hidden_layers")).split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const settings = {
    dataset: data.get("dataset"),
    hidden_layers: layers,
    activation: data.get("activation"),
    loss: data.get("loss"),
    learning_rate: Number(data.get("learning_rate")),
    seed: Number(data.get("seed")),
    bias: data.get("bias"),
  };
  if (settings.dataset === "csv") {
    const file = form.elements.csvfile.files[0];
    if (!file) throw new Error("choose a CSV file to upload");
    if (file.size > 100000) throw new Error(`the CSV file is ${file.size} bytes; the explorer takes at most 100,000`);
    settings.csv = await file.text();
    const target = String(data.get("target") || "").trim();
    if (target) settings.target = target;
  }
  return settings;
}

function fill(select, values, chosen) {
  select.replaceChildren(...values.map((v) => { const o = html("option", {value: v}, v); o.selected = v === chosen; return o; }));
}

// ------------------------------------------------------------------------------------------- drawing
function neuronsOf(trace) {
  const map = {};
  if (trace) for (const layer of trace.layers) for (const n of layer.neurons) map[n.name] = n;
  return map;
}

// The server places everything (glassnet.interfaces.layout, the same layout as the notebook's SVG) for
// the width this page asks for (see view()); this only draws where state.layout says.
function noteId(layout, name, line) {
  if (name.startsWith("i")) return `value-${name}`;
  return layout.dense || line === 1 ? `out-${name}` : `net-${name}`;
}

function drawNetwork(state) {
  const svg = $("network");
  const lay = state.layout;
  svg.style.height = `${lay.height}px`;
  svg.setAttribute("viewBox", `0 0 ${lay.width} ${lay.height}`);
  svg.replaceChildren();
  const params = Object.fromEntries(state.parameters.map((p) => [p.name, p]));
  const labels = Object.fromEntries(lay.labels.map((l) => [l.key, l]));
  const largest = Math.max(1e-12, ...lay.edges.map((e) => Math.abs(params[e.key].value)));
  const lines = el("g"), texts = el("g");
  for (const e of lay.edges) {
    const p = params[e.key];
    const sel = selected === p.name ? " selected" : "";
    const colour = p.value >= 0 ? "#2b6cb0" : "#c53030";
    const {x1, y1, x2, y2} = e;
    const g = el("g", {class: "edge" + sel, "data-param": p.name});
    g.append(el("line", {x1, y1, x2, y2, stroke: colour, "stroke-width": (0.6 + 4.4 * Math.sqrt(Math.abs(p.value) / largest)).toFixed(2)}));
    g.append(el("line", {x1, y1, x2, y2, stroke: "transparent", "stroke-width": 9}));
    g.append(el("title", {}, `${p.name} = ${fmt(p.value)}`));
    g.addEventListener("click", () => select(p.name));
    lines.append(g);
    const label = labels[p.name];
    if (label) {
      const t = el("g", {class: "edge-label" + sel, "data-param": p.name});
      t.append(el("text", {x: label.x, y: label.y, "text-anchor": "middle", class: "value", fill: colour}, label.text));
      t.addEventListener("click", () => select(p.name));
      texts.append(t);
    }
  }
  svg.append(lines);
  const trace = neuronsOf(state.trace);
  const biasOf = {};
  for (const p of state.parameters) if (p.kind === "bias") for (const t of p.targets) (biasOf[t] ||= []).push(p);
  for (const n of lay.neurons) {
    const {name, x, y, r} = n;
    const g = el("g", {class: "neuron", "data-neuron": name});
    const fillColour = name.startsWith("i") ? "#edf2f7" : name.startsWith("h") ? "#fefcbf" : "#c6f6d5";
    g.append(el("circle", {cx: x, cy: y, r, fill: fillColour}));
    g.append(el("text", {x, y: y + 4, "text-anchor": "middle", "font-weight": "bold"}, name));
    const hover = [name];
    const t = trace[name];
    if (t) hover.push(`net ${fmt(t.z)}, out ${fmt(t.a)}`);
    else if (state.trace && name.startsWith("i")) hover.push(`value ${fmt(state.trace.inputs[name])}`);
    for (const b of biasOf[name] || []) hover.push(`${b.name} = ${fmt(b.value)}`);
    g.append(el("title", {}, hover.join("\n")));
    for (let k = 0; labels[`${name}#${k}`]; k++) {
      const note = labels[`${name}#${k}`];
      g.append(el("text", {x: note.x, y: note.y, "text-anchor": "middle", class: "note", "data-testid": noteId(lay, name, k)}, note.text));
    }
    svg.append(g);
  }
  for (const label of lay.labels) {
    if (label.kind === "bias") {
      const b = params[label.key];
      const t = el("text", {x: label.x, y: label.y, "text-anchor": "middle", class: "value bias" + (selected === b.name ? " selected" : ""), "data-param": b.name},
        label.text);
      t.addEventListener("click", () => select(b.name));
      texts.append(t);
    } else if (label.kind === "more") {
      texts.append(el("text", {x: label.x, y: label.y, "text-anchor": "middle", class: "note"}, label.text));
    }
  }
  svg.append(texts);
}

function drawParameters(state) {
  let table = $("parameters");
  if (!table) {
    const box = html("div", {class: "scroll"});
    table = html("table", {id: "parameters", "data-testid": "parameters"});
    box.append(table);
    $("picture").insertBefore(html("h2", {}, "Parameters (current values)"), $("network").nextSibling);
    $("picture").insertBefore(box, $("picture").querySelector(".charts"));
  }
  table.replaceChildren(...state.parameters.map((p) => {
    const row = html("tr", {class: selected === p.name ? "selected" : ""});
    const where = p.kind === "weight" ? `${p.source} → ${p.targets[0]}` : `bias of ${p.targets.join(", ")}`;
    row.append(html("td", {}, p.name), html("td", {}, where), html("td", {class: "num", "data-testid": `param-${p.name}`}, fmt(p.value)));
    row.addEventListener("click", () => select(p.name));
    return row;
  }));
}

function drawCurve(state) {
  const svg = $("curve");
  const w = 300, h = 180;
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.replaceChildren();
  const points = state.history.filter(([, loss]) => Number.isFinite(loss));
  if (points.length < 2) return;
  const logs = points.map(([, loss]) => Math.log10(Math.max(loss, 1e-12)));
  const lo = Math.min(...logs), hi = Math.max(...logs), maxStep = points[points.length - 1][0] || 1;
  const path = points.map(([s], i) => `${(10 + (s / maxStep) * (w - 20)).toFixed(1)},${(h - 15 - ((logs[i] - lo) / Math.max(1e-9, hi - lo)) * (h - 30)).toFixed(1)}`);
  svg.append(el("polyline", {points: path.join(" "), fill: "none", stroke: "#2b6cb0", "stroke-width": 1.5}));
  svg.append(el("text", {x: 12, y: 12, "font-size": 10}, `${fmt(points[0][1])} (log scale)`));
  svg.append(el("text", {x: w - 10, y: h - 3, "font-size": 10, "text-anchor": "end"}, `${fmt(points[points.length - 1][1])} after ${maxStep} steps`));
}

async function drawBoundary(state) {
  $("boundary-box").hidden = !state.two_d;
  if (!state.two_d) return;
  const data = await api("GET", `/api/sessions/${state.session}/boundary?resolution=44`);
  const canvas = $("boundary"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const n = data.resolution, cell = canvas.width / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    const v = data.values[i][j];
    ctx.fillStyle = `rgb(${Math.round(197 + (43 - 197) * v)},${Math.round(48 + (108 - 48) * v)},${Math.round(48 + (176 - 48) * v)})`;
    ctx.globalAlpha = 0.55;
    ctx.fillRect(Math.floor(j * cell), Math.floor(canvas.height - (i + 1) * cell), Math.ceil(cell), Math.ceil(cell));
  }
  ctx.globalAlpha = 1;
  const [x0, x1] = data.x, [y0, y1] = data.y;
  const classes = Math.max(1, state.classes.length - 1);
  for (const [x, y, c] of data.points) {
    ctx.beginPath();
    ctx.arc(((x - x0) / (x1 - x0)) * canvas.width, canvas.height - ((y - y0) / (y1 - y0)) * canvas.height, 2.6, 0, 2 * Math.PI);
    const v = c / classes;
    ctx.fillStyle = `rgb(${Math.round(197 + (43 - 197) * v)},${Math.round(48 + (108 - 48) * v)},${Math.round(48 + (176 - 48) * v)})`;
    ctx.strokeStyle = "#1a202c";
    ctx.fill(); ctx.stroke();
  }
}

function table(rows, head) {
  const t = html("table");
  if (head) { const tr = html("tr"); head.forEach((h) => tr.append(html("td", {}, h))); t.append(tr); }
  for (const row of rows) {
    const tr = html("tr");
    row.forEach((cell, i) => tr.append(html("td", {class: i ? "num" : ""}, cell)));
    t.append(tr);
  }
  return t;
}

function drawSteps(state) {
  const box = $("seven");
  box.replaceChildren();
  const tr = state.trace;
  if (!tr) { box.append(html("p", {}, "Press Step to run one training step.")); return; }
  const layers = tr.layers, out = layers[layers.length - 1];
  const section = (title, node) => { box.append(html("h3", {}, title)); const d = html("div", {class: "scroll"}); d.append(node); box.append(d); };
  section("1. Initialize — the example, and the weights before this step", table([
    ...Object.entries(tr.inputs).map(([k, v]) => [k, fmt(v)]),
    ...Object.entries(tr.targets).map(([k, v]) => [`target ${k}`, fmt(v)]),
    ...tr.parameters.map((p) => [p.name, fmt(p.old)])]));
  section("2. Forward propagation: net = Σ w·out + b, out = f(net)",
    table(layers.flatMap((l) => l.neurons.map((n) => [n.name, fmt(n.z), fmt(n.a)])), ["neuron", "net", "out"]));
  section(`3. Loss (${tr.loss})`, table([
    ...Object.entries(tr.loss_terms).map(([k, v]) => [`E_${k}`, fmt(v)]), ["E_total", fmt(tr.loss_total)]]));
  const deltas = (l) => l.neurons.map((n) => [n.name, fmt(n.dE_da), fmt(n.da_dz), fmt(n.delta)]);
  section(`4. Backpropagation, output layer (delta = ${out.delta_rule})`, table(deltas(out), ["neuron", "dE/dout", "dout/dnet", "delta"]));
  const hidden = layers.slice(0, -1).reverse().flatMap(deltas);
  section("5. Backpropagation, hidden layers (weights before this step)",
    hidden.length ? table(hidden, ["neuron", "dE/dout", "dout/dnet", "delta"]) : html("p", {}, "no hidden layer"));
  section(`6. Update: w ← w − η·dE/dw (η = ${tr.learning_rate})`,
    table(tr.parameters.map((p) => [p.name, fmt(p.old), fmt(p.grad), fmt(p.new)]), ["parameter", "old", "dE/dparam", "new"]));
  section("7. Repeat", table([["E_total before this step", fmt(tr.loss_total)], ["after its update", fmt(tr.loss_after)],
    ["loss over all examples", fmt(state.loss)]]));
}

function drawChain(state) {
  const box = $("chain");
  const tr = state.trace;
  if (!selected) { box.textContent = "Click a weight or bias to see its chain rule."; return; }
  const current = state.parameters.find((p) => p.name === selected);
  if (!tr) { box.textContent = `${selected} = ${fmt(current && current.value)}\nPress Step to see its chain rule.`; return; }
  const p = tr.parameters.find((q) => q.name === selected);
  if (!p) { box.textContent = ""; return; }
  const neurons = neuronsOf(tr);
  const lines = [];
  if (p.kind === "weight") {
    const n = p.targets[0], layer = tr.layers[p.layer - 1];
    if (layer.delta_form === "chain_rule") {
      lines.push(`dE/d${p.name} = dE/dout_${n} × dout_${n}/dnet_${n} × dnet_${n}/d${p.name}`);
      lines.push(`${" ".repeat(p.name.length + 4)} = ${fmt(p.dE_da)} × ${fmt(p.da_dz)} × ${fmt(p.dz_dw)}`);
    } else {
      lines.push(`dE/d${p.name} = delta_${n} × dnet_${n}/d${p.name}      (delta_${n} = ${layer.delta_rule})`);
      lines.push(`${" ".repeat(p.name.length + 4)} = ${fmt(neurons[n].delta)} × ${fmt(p.dz_dw)}`);
    }
    lines.push(`${" ".repeat(p.name.length + 4)} = ${fmt(p.grad)}`);
    if (p.layer < tr.layers.length) {
      const terms = neurons[n].dE_da_terms;
      lines.push("", `dE/dout_${n} = ${terms.map((c) => `delta_${c.via}·${c.weight}`).join(" + ")}`);
      lines.push(`${" ".repeat(n.length + 8)} = ${terms.map((c) => `${fmt(c.delta)}·${fmt(c.w)}`).join(" + ")} = ${fmt(neurons[n].dE_da)}`);
    }
  } else {
    lines.push(`dE/d${p.name} = ${p.targets.map((t) => `delta_${t}`).join(" + ")}`);
    lines.push(`${" ".repeat(p.name.length + 4)} = ${p.targets.map((t) => fmt(neurons[t].delta)).join(" + ")} = ${fmt(p.grad)}`);
  }
  const frozen = p.kind === "bias" && !tr.train_biases;
  lines.push("", frozen ? `${p.name} = ${fmt(p.old)} (frozen: biases are not updated)`
    : `${p.name}: ${fmt(p.old)} → ${fmt(p.new)}   (${p.name} − η·dE/d${p.name}, η = ${tr.learning_rate})`);
  box.replaceChildren(html("strong", {}, `The chain rule for ${p.name}`), document.createTextNode("\n" + lines.join("\n")));
}

function render(state) {
  session = state;
  document.querySelector('[data-testid="steps"]').textContent = String(state.steps);
  document.querySelector('[data-testid="total-error"]').textContent = state.trace ? fmt(state.trace.loss_total) : "–";
  document.querySelector('[data-testid="data-loss"]').textContent = fmt(state.loss);
  document.querySelector('[data-testid="converged"]').textContent = state.converged ? `converged: ${state.converged}` : "training";
  drawNetwork(state);
  drawParameters(state);
  drawCurve(state);
  drawSteps(state);
  drawChain(state);
  drawBoundary(state).catch(showError);
}

function select(name) {
  selected = name;
  if (session) render(session);
}

// ------------------------------------------------------------------------------------------- actions
async function act(action) {
  showError(null);
  try { await action(); } catch (error) { showError(error); }
}

async function newSession() {
  const settings = await readSettings();
  selected = null;
  render(await api("POST", view("/api/sessions"), settings));
}

async function converge() {
  if (running) { running = false; return; }
  running = true;
  $("converge").textContent = "Stop";
  try {
    const tol = Number($("tolerance").value);
    for (let i = 0; i < 100 && running; i++) {
      const state = await api("POST", view(`/api/sessions/${session.session}/train`), {steps: 2000, until_converged: true, loss_tol: tol});
      render(state);
      if (state.converged) break;
    }
  } finally {
    running = false;
    $("converge").textContent = "Train until converged";
  }
}

async function start() {
  const options = await api("GET", "/api/options");
  const form = $("settings");
  fill(form.elements.dataset, options.datasets, "worked-example");
  fill(form.elements.activation, options.activations, "sigmoid");
  fill(form.elements.loss, options.losses, "half_sse");
  fill(form.elements.bias, options.bias, "frozen");
  form.elements.dataset.addEventListener("change", () => {
    const name = form.elements.dataset.value;
    $("csv-row").hidden = name !== "csv";
    $("target-row").hidden = name !== "csv";
    const {tolerance, ...preset} = PRESETS[name];
    for (const [key, value] of Object.entries(preset)) form.elements[key].value = value;
    $("tolerance").value = tolerance;
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); act(newSession); });
  $("step").addEventListener("click", () => act(async () => render(await api("POST", view(`/api/sessions/${session.session}/step`)))));
  $("train").addEventListener("click", () => act(async () => render(await api("POST", view(`/api/sessions/${session.session}/train`), {steps: 100}))));
  $("converge").addEventListener("click", () => act(converge));
  $("reset").addEventListener("click", () => act(async () => { selected = null; render(await api("POST", view(`/api/sessions/${session.session}/reset`))); }));
  await newSession();
  document.body.setAttribute("data-ready", "true");
}

act(start);
