// The local trace view: polls the stack's /_local/traces.json and draws the list and a trace's
// waterfall. Plain DOM, text only (never innerHTML), no inline script or style: the page's CSP
// allows scripts and styles from this origin alone.

const POLL_MS = 1000;
const LIST_URL = '/_local/traces.json';
const traceUrl = (id) => `/_local/traces/${encodeURIComponent(id)}.json`;

const $ = (selector) => document.querySelector(selector);
const statusLine = $('#status');
const tbody = $('#traces tbody');
const empty = $('#empty');
const detail = $('#detail');
const detailSummary = $('#detail-summary');
const waterfall = $('#waterfall');

let version = -1;
let selected = decodeURIComponent(location.hash.slice(1)) || undefined;
let shownTraceVersion = -1;
const open = new Set();

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'className') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== undefined && child !== null) node.append(child);
  }
  return node;
}

const ms = (value) => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`);

function clock(epochMs) {
  const d = new Date(epochMs);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function badge(summary) {
  if (summary.fault) return el('span', { className: 'badge fault' }, 'fault');
  if (summary.error) return el('span', { className: 'badge error' }, 'error');
  return el('span', { className: 'badge ok' }, 'ok');
}

function renderList(traces) {
  const rows = traces.map((summary) => {
    const row = el(
      'tr',
      { dataset: { traceId: summary.id }, 'aria-selected': String(summary.id === selected), tabindex: '0' },
      el('td', { className: 'num' }, clock(summary.startMs)),
      el('td', { className: 'num' }, ms(summary.durationMs)),
      el('td', {}, summary.title),
      el('td', {}, summary.root),
      el('td', { className: 'num' }, String(summary.documents)),
      el('td', {}, badge(summary)),
    );
    row.addEventListener('click', () => select(summary.id));
    row.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') select(summary.id);
    });
    return row;
  });
  tbody.replaceChildren(...rows);
  empty.hidden = traces.length > 0;
}

/** A short note after a span's name: what the AWS call or the hop was about. */
function noteOf(node) {
  const aws = node.aws ?? {};
  const parts = [];
  for (const key of ['operation', 'table_name', 'route_key', 'detail_type', 'rule', 'index_name']) {
    if (typeof aws[key] === 'string') parts.push(aws[key]);
  }
  if (aws.cold_start === true) parts.push('cold start');
  if (typeof aws.attempt === 'number' && aws.attempt > 1) parts.push(`attempt ${aws.attempt}`);
  const status = node.http?.response?.status;
  if (typeof status === 'number') parts.push(String(status));
  return parts.join(' · ');
}

function detailsOf(node) {
  const box = el('div', { className: 'details' });
  const add = (label, value) => {
    if (value === undefined || (typeof value === 'object' && Object.keys(value).length === 0)) return;
    box.append(
      el('div', {}, `${label}: ${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}`),
    );
  };
  add('id', node.id);
  if (node.origin) add('origin', node.origin);
  add('annotations', node.annotations);
  add('metadata', node.metadata);
  add('aws', node.aws);
  add('http', node.http);
  const exceptions = typeof node.cause === 'object' && node.cause ? (node.cause.exceptions ?? []) : [];
  for (const exception of exceptions) {
    const stack = (exception.stack ?? [])
      .map((frame) => `    at ${frame.label ?? 'anonymous'} (${frame.path ?? '?'}:${frame.line ?? '?'})`)
      .join('\n');
    box.append(
      el(
        'div',
        { className: 'exception' },
        `${exception.type ?? 'Error'}: ${exception.message ?? ''}\n${stack}`,
      ),
    );
  }
  return box;
}

function renderTrace(trace) {
  const start = trace.startMs;
  const total = Math.max(trace.durationMs, 0.001);
  detailSummary.textContent = `${trace.title} · ${trace.id} · ${ms(trace.durationMs)} · ${trace.documents} segments${
    trace.dropped ? ` (${trace.dropped} dropped)` : ''
  }`;
  const items = [];
  const walk = (node, depth) => {
    const begin = node.start_time * 1000 - start;
    const end = (node.end_time ?? node.start_time) * 1000 - start;
    const kind = node.fault ? ' fault' : node.error || node.throttle ? ' error' : '';
    const name = el('span', { className: 'name' }, node.name);
    const note = noteOf(node);
    if (note) name.append(el('span', { className: 'note' }, note));
    if (node.in_progress) name.append(el('span', { className: 'note' }, 'in progress'));
    name.style.paddingLeft = `${depth * 1.1}rem`;
    const barKind = node.namespace === 'aws' ? ' aws' : node.origin ? ' local' : '';
    const bar = el('span', { className: `bar${barKind}` });
    bar.style.left = `${(begin / total) * 100}%`;
    bar.style.width = `${(Math.max(end - begin, 0) / total) * 100}%`;
    const line = el(
      'div',
      { className: `span${kind}`, role: 'button', tabindex: '0', 'aria-expanded': String(open.has(node.id)) },
      name,
      el('span', { className: 'track' }, bar),
      el('span', { className: 'duration' }, ms(end - begin)),
    );
    const item = el('li', { dataset: { segmentId: node.id } }, line);
    if (open.has(node.id)) item.append(detailsOf(node));
    const toggle = () => {
      if (open.has(node.id)) open.delete(node.id);
      else open.add(node.id);
      renderTrace(trace);
    };
    line.addEventListener('click', toggle);
    line.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') toggle();
    });
    items.push(item);
    for (const child of node.children) walk(child, depth + 1);
  };
  for (const root of trace.roots) walk(root, 0);
  waterfall.replaceChildren(...items);
  detail.hidden = false;
}

async function showSelected() {
  if (!selected) {
    detail.hidden = true;
    return;
  }
  const response = await fetch(traceUrl(selected));
  if (response.status === 404) {
    detailSummary.textContent = `Trace ${selected} is no longer kept (the view keeps the most recent ones).`;
    waterfall.replaceChildren();
    detail.hidden = false;
    return;
  }
  renderTrace(await response.json());
  shownTraceVersion = version;
}

function select(id) {
  selected = id;
  open.clear();
  history.replaceState(null, '', `#${encodeURIComponent(id)}`);
  for (const row of tbody.rows) row.setAttribute('aria-selected', String(row.dataset.traceId === id));
  showSelected().catch(showError);
}

function showError(error) {
  statusLine.textContent = `The local stack does not answer (${error.message}); retrying…`;
}

async function poll() {
  try {
    const response = await fetch(`${LIST_URL}?limit=100`);
    const list = await response.json();
    statusLine.textContent = `Live · ${list.traces.length} recent trace${list.traces.length === 1 ? '' : 's'}`;
    if (list.version !== version) {
      version = list.version;
      renderList(list.traces);
      if (selected && shownTraceVersion !== version) await showSelected();
    }
  } catch (error) {
    showError(error);
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

poll();
