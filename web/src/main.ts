// The page: binds the DOM of index.html to a ChatClient. All user-supplied text (names, messages,
// error messages that quote names) goes into the page through textContent only, never as HTML.

import { ChatClient, type ChatListener, type ConnectionStatus, type NameStore } from './chat-client';
import { formatClock, formatFullTime } from './format';
import type { MemberChange } from './member-list';
import type { LogEntry } from './message-log';
import { sameName } from './protocol';
import { resolveWebSocketUrl } from './ws-url';

/** The chat server this build belongs to: web/build.mjs defines it from CHAT_WS_URL ('' when unset). */
declare const __CHAT_WS_URL__: string;

const NAME_KEY = 'chat.name';
/** Scrolled this close to the bottom, the log follows new messages; further up, the reader stays put. */
const FOLLOW_THRESHOLD_PX = 48;

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`index.html has no #${id}`);
  return element as T;
}

const ui = {
  status: byId<HTMLDivElement>('status'),
  statusText: byId<HTMLSpanElement>('status-text'),
  retry: byId<HTMLButtonElement>('retry'),
  serverNotice: byId<HTMLParagraphElement>('server-notice'),
  nameForm: byId<HTMLFormElement>('name-form'),
  nameInput: byId<HTMLInputElement>('name-input'),
  nameSubmit: byId<HTMLButtonElement>('name-submit'),
  nameError: byId<HTMLParagraphElement>('name-error'),
  nameCurrent: byId<HTMLParagraphElement>('name-current'),
  messages: byId<HTMLOListElement>('messages'),
  composer: byId<HTMLFormElement>('composer'),
  recipient: byId<HTMLSelectElement>('recipient'),
  messageInput: byId<HTMLInputElement>('message-input'),
  send: byId<HTMLButtonElement>('send'),
  composerError: byId<HTMLParagraphElement>('composer-error'),
  memberList: byId<HTMLUListElement>('member-list'),
  memberCount: byId<HTMLSpanElement>('member-count'),
};

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className !== undefined) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

function showError(target: HTMLElement, error: string | undefined): void {
  target.textContent = error ?? '';
  target.hidden = error === undefined;
}

// --- connection status --------------------------------------------------------------------------

let countdown: ReturnType<typeof setInterval> | undefined;

function renderStatus(status: ConnectionStatus): void {
  clearInterval(countdown);
  countdown = undefined;
  ui.status.dataset.state = status.kind;
  ui.retry.hidden = status.kind !== 'waiting';
  switch (status.kind) {
    case 'connecting':
      ui.statusText.textContent =
        status.attempt === 0 ? 'Connecting…' : `Reconnecting (attempt ${status.attempt + 1})…`;
      break;
    case 'open':
      ui.statusText.textContent = 'Connected';
      break;
    case 'stopped':
      ui.statusText.textContent = 'Disconnected';
      break;
    case 'waiting': {
      const tick = () => {
        const seconds = Math.max(0, Math.ceil((status.retryAt - Date.now()) / 1000));
        const what = status.everConnected ? 'Connection lost' : 'Cannot reach the chat server';
        ui.statusText.textContent = `${what}: reconnecting in ${seconds} s`;
      };
      tick();
      countdown = setInterval(tick, 1000);
      break;
    }
  }
  updateComposer();
}

// --- name ---------------------------------------------------------------------------------------

function renderName(name: string | undefined): void {
  ui.nameSubmit.textContent = name === undefined ? 'Join' : 'Rename';
  ui.nameCurrent.textContent = name === undefined ? 'Choose a name to join the chat.' : `You are ${name}.`;
  if (name !== undefined) ui.nameInput.value = name;
  renderMembers(client.members);
  updateComposer();
  if (name !== undefined && document.activeElement === ui.nameInput) ui.messageInput.focus();
}

// --- members and the private recipient ----------------------------------------------------------

function memberItem(member: string, me: string | undefined): HTMLLIElement {
  const item = el('li');
  if (sameName(member, me)) {
    item.append(el('span', 'member member--me', member), el('span', 'you', ' (you)'));
    return item;
  }
  const button = el('button', 'member', member);
  button.type = 'button';
  button.dataset.name = member;
  button.title = `Send a private message to ${member}`;
  button.setAttribute('aria-pressed', String(sameName(member, ui.recipient.value)));
  button.addEventListener('click', () => {
    setRecipient(member);
    ui.messageInput.focus();
  });
  item.append(button);
  return item;
}

// The recipient list has one option per member, in the members' order after "Everyone", so a
// delta's positions apply to it too; our own name is there but hidden (nobody messages themselves).
function recipientOption(member: string, me: string | undefined): HTMLOptionElement {
  const element = el('option', undefined, member);
  element.value = member;
  if (sameName(member, me)) {
    element.hidden = true;
    element.disabled = true;
  }
  return element;
}

/**
 * Draws the members list. With `changes` (a presence delta) only the rows that changed are touched,
 * so a join to a room of 10,000 costs one row, not 10,000; without, the whole list is redrawn.
 */
function renderMembers(members: readonly string[], changes?: readonly MemberChange[]): void {
  const me = client.name;
  ui.memberCount.textContent = String(members.length);
  const previous = ui.recipient.value;
  if (changes === undefined) {
    // Fragments, not spread arguments: a list of 100,000 would overflow a call's argument limit.
    const items = document.createDocumentFragment();
    const options = document.createDocumentFragment();
    const everyone = el('option', undefined, 'Everyone');
    everyone.value = '';
    options.append(everyone);
    for (const member of members) {
      items.append(memberItem(member, me));
      options.append(recipientOption(member, me));
    }
    ui.memberList.replaceChildren(items);
    ui.recipient.replaceChildren(options);
  } else {
    for (const change of changes) {
      if (change.kind === 'remove') {
        ui.memberList.children[change.index]?.remove();
        ui.recipient.options[change.index + 1]?.remove();
      } else {
        ui.memberList.insertBefore(memberItem(change.name, me), ui.memberList.children[change.index] ?? null);
        ui.recipient.insertBefore(
          recipientOption(change.name, me),
          ui.recipient.options[change.index + 1] ?? null,
        );
      }
    }
  }
  // The recipient list follows the members; a recipient who left falls back to everyone.
  const stillThere = previous !== '' && members.includes(previous) && !sameName(previous, me);
  ui.recipient.value = stillThere ? previous : '';
  if (changes === undefined || ui.recipient.value !== previous) renderRecipient();
}

function setRecipient(name: string): void {
  ui.recipient.value = name;
  renderRecipient();
}

function renderRecipient(): void {
  const to = ui.recipient.value;
  ui.composer.classList.toggle('composer--private', to !== '');
  ui.send.textContent = to === '' ? 'Send' : 'Send privately';
  for (const button of ui.memberList.querySelectorAll<HTMLButtonElement>('button.member')) {
    button.setAttribute('aria-pressed', String(button.dataset.name === to));
  }
  updateComposer();
}

function updateComposer(): void {
  const ready = client.connectionStatus.kind === 'open' && client.name !== undefined;
  ui.messageInput.disabled = !ready;
  ui.send.disabled = !ready;
  const to = ui.recipient.value;
  ui.messageInput.placeholder = !ready
    ? client.connectionStatus.kind === 'open'
      ? 'Choose a name to start chatting'
      : 'Waiting for the connection…'
    : to === ''
      ? 'Message everyone'
      : `Private message to ${to}`;
}

// --- the conversation ---------------------------------------------------------------------------

const KIND_LABELS: Record<LogEntry['kind'], string> = {
  public: 'message',
  private: 'private message',
  system: 'announcement',
  error: 'error',
  notice: 'connection',
};

function renderEntry(entry: LogEntry): HTMLLIElement {
  const item = el('li', `msg msg--${entry.kind}${entry.own ? ' msg--own' : ''}`);
  item.dataset.kind = entry.kind;
  item.dataset.key = entry.key;
  const time = el('time', 'msg-time', formatClock(entry.ts));
  time.dateTime = new Date(entry.ts).toISOString();
  time.title = formatFullTime(entry.ts);
  item.append(time);
  if (entry.kind === 'private') {
    const meta = el('span', 'msg-from');
    meta.append(
      el('span', 'msg-name', entry.own ? 'You' : (entry.from ?? '')),
      el('span', 'msg-arrow', ' → '),
      el('span', 'msg-name', entry.own ? (entry.to ?? '') : 'you'),
      el('span', 'msg-badge', 'private'),
    );
    item.append(meta);
  } else if (entry.kind === 'public') {
    item.append(el('span', 'msg-from', entry.own ? 'You' : (entry.from ?? '')));
  } else {
    item.append(el('span', 'visually-hidden', `${KIND_LABELS[entry.kind]}: `));
  }
  item.append(el('span', 'msg-text', entry.text));
  return item;
}

function insertEntry(entry: LogEntry, index: number, removed: readonly LogEntry[]): void {
  const log = ui.messages;
  const follow = log.scrollHeight - log.scrollTop - log.clientHeight < FOLLOW_THRESHOLD_PX;
  for (const old of removed) log.querySelector(`li[data-key="${CSS.escape(old.key)}"]`)?.remove();
  // A message that arrives late (delivery order is not guaranteed) goes where its id sorts.
  log.insertBefore(renderEntry(entry), log.children[index] ?? null);
  if (follow || entry.own) log.scrollTop = log.scrollHeight;
}

// --- wiring -------------------------------------------------------------------------------------

const nameStore: NameStore = {
  load: () => {
    try {
      return sessionStorage.getItem(NAME_KEY) ?? undefined;
    } catch {
      return undefined; // storage can be disabled; the name is then simply not remembered
    }
  },
  save: (name) => {
    try {
      if (name === undefined) sessionStorage.removeItem(NAME_KEY);
      else sessionStorage.setItem(NAME_KEY, name);
    } catch {
      // see load()
    }
  },
};

const listener: ChatListener = {
  status: renderStatus,
  members: renderMembers,
  name: renderName,
  nameError: (error) => {
    showError(ui.nameError, error);
    ui.nameInput.setAttribute('aria-invalid', String(error !== undefined));
    if (error !== undefined && client.name === undefined) ui.nameInput.focus();
  },
  entry: insertEntry,
};

const target = resolveWebSocketUrl(window.location, {
  deployedUrl: typeof __CHAT_WS_URL__ === 'string' && __CHAT_WS_URL__ !== '' ? __CHAT_WS_URL__ : undefined,
});
if (target.ok && target.notice !== undefined) {
  ui.serverNotice.textContent = target.notice;
  ui.serverNotice.hidden = false;
}
const client = new ChatClient({
  url: target.ok ? target.url : '',
  createSocket: (url, events) => {
    const socket = new WebSocket(url);
    socket.addEventListener('open', () => events.open());
    socket.addEventListener('message', (event) => events.message(event.data));
    socket.addEventListener('close', (event) => events.close(event.code));
    return socket;
  },
  listener,
  nameStore,
});

ui.nameForm.addEventListener('submit', (event) => {
  event.preventDefault();
  client.chooseName(ui.nameInput.value);
});

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const to = ui.recipient.value;
  const result = client.sendMessage(ui.messageInput.value, to === '' ? undefined : to);
  showError(ui.composerError, result.ok ? undefined : result.error);
  if (result.ok) ui.messageInput.value = '';
  ui.messageInput.focus();
});

ui.messageInput.addEventListener('input', () => showError(ui.composerError, undefined));
ui.messageInput.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && ui.recipient.value !== '') {
    setRecipient('');
    event.preventDefault();
  }
});
ui.recipient.addEventListener('change', renderRecipient);
ui.retry.addEventListener('click', () => client.retryNow());
window.addEventListener('online', () => client.retryNow());
window.addEventListener('pagehide', () => client.stop());
// A page restored from the back/forward cache was stopped by pagehide: connect again.
window.addEventListener('pageshow', (event) => {
  if (event.persisted && target.ok) client.start();
});

if (target.ok) {
  client.start();
  if (nameStore.load() === undefined) ui.nameInput.focus();
} else {
  renderStatus({ kind: 'stopped' });
  showError(ui.nameError, target.error);
}
