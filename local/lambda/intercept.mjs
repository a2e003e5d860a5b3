// Network interception for an execution environment: a request to an execute-api host of an API
// in the template goes to the local stack (over http), whichever way the function builds the URL
// (requestContext.domainName, apiId + AWS_REGION, a template !Sub, an Output) and whichever client
// sends it (node:https, node:http, the AWS SDK, fetch). A request to any other AWS host, which the
// stack does not emulate, fails at once with a message that says so, instead of leaving the machine
// (or failing later with a DNS error nobody sees). The SQS host of the region goes to the local AWS
// endpoint: the SQS SDK sends to its QueueUrl's host. Plain JavaScript: the worker loads it as it is.
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';

/** What happens to a request for `hostname`: sent locally, refused, or left alone. */
export function routeFor(hostname, rules) {
  const host = String(hostname ?? '')
    .toLowerCase()
    .replace(/\.$/, '');
  const local = rules.apiHosts[host] ?? rules.serviceHosts?.[host];
  if (local) return { kind: 'local', hostPort: local };
  if (host === 'amazonaws.com' || host.endsWith('.amazonaws.com') || host.endsWith('.amazonaws.com.cn')) {
    return { kind: 'refused', message: refusal(host, rules) };
  }
  return undefined;
}

function refusal(host, rules) {
  const what = /\.execute-api\./.test(host)
    ? 'it is not the execute-api host of an API in the template'
    : 'the local stack does not emulate this AWS service';
  const apis = Object.keys(rules.apiHosts);
  return (
    `The local stack stopped a request to ${host}: ${what}. ` +
    `It serves DynamoDB, EventBridge and SQS (through AWS_ENDPOINT_URL_*)${
      apis.length ? ` and ${apis.join(', ')}` : ''
    }; mock other services or reach them from a test instead.`
  );
}

export class RefusedRequestError extends Error {
  constructor(message) {
    super(message);
    this.name = 'LocalStackRefusedRequest';
    // Not a code the SDK retries on: the call fails once, at once.
    this.code = 'ELOCALSTACKREFUSED';
  }
}

/** `request(url[, options][, cb])` or `request(options[, cb])` as one options object and a callback. */
function normalise(args) {
  let [first, second, third] = args;
  let url;
  if (typeof first === 'string' || first instanceof URL) {
    url = new URL(first);
    first = undefined;
  }
  let options = first ?? {};
  let callback = third;
  if (url) {
    if (typeof second === 'function') callback = second;
    else if (second) options = second;
  } else if (typeof second === 'function') callback = second;
  const fromUrl = url
    ? {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        ...(url.username || url.password
          ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` }
          : {}),
      }
    : {};
  return { options: { ...fromUrl, ...options }, callback };
}

function hostnameOf(options) {
  if (options.hostname) return options.hostname;
  const host = options.host ?? 'localhost';
  return host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.split(':')[0];
}

const localAgents = new WeakMap();

/**
 * The plain-http agent a redirected request goes through. A TLS agent cannot carry plain http, but
 * its pooling must carry over: on AWS a function's agent keeps its sockets alive between calls (and
 * invocations) and caps them at its maxSockets, whereas the default http agent closes idle sockets
 * after 5 s and never caps them, which would make every fan-out open its connections anew. One
 * local agent per caller agent, with the same settings; the default agent for none, `false` kept.
 */
export function localAgentFor(agent) {
  if (agent === false) return false;
  if (!agent || typeof agent !== 'object') return undefined;
  let local = localAgents.get(agent);
  if (!local) {
    const { keepAlive, keepAliveMsecs, maxSockets, maxFreeSockets, maxTotalSockets, scheduling } = agent;
    const timeout = agent.options?.timeout;
    local = new http.Agent({
      keepAlive,
      keepAliveMsecs,
      maxSockets,
      maxFreeSockets,
      maxTotalSockets,
      scheduling,
      ...(timeout === undefined ? {} : { timeout }),
    });
    localAgents.set(agent, local);
  }
  return local;
}

/**
 * Patches node:http, node:https and fetch in this thread. `report` prints a refusal where the
 * console shows it (the function's log).
 */
export function interceptRequests(rules, report) {
  const original = {
    httpRequest: http.request,
    httpsRequest: https.request,
    fetch: globalThis.fetch,
  };

  function send(args, secure) {
    const { options, callback } = normalise(args);
    const route = routeFor(hostnameOf(options), rules);
    const fallback = secure ? original.httpsRequest : original.httpRequest;
    if (!route) return fallback.apply(secure ? https : http, args);
    if (route.kind === 'refused') {
      report(route.message);
      const error = new RefusedRequestError(route.message);
      // A real request object that fails before any DNS lookup, so callers see an ordinary 'error'.
      return fallback.call(
        secure ? https : http,
        { ...options, lookup: (_h, _o, cb) => cb(error) },
        callback,
      );
    }
    const [hostname, port] = splitHostPort(route.hostPort);
    const agent = localAgentFor(options.agent);
    const local = { ...options, protocol: 'http:', hostname, port, host: undefined, agent };
    return original.httpRequest.call(http, local, callback);
  }

  http.request = (...args) => send(args, false);
  https.request = (...args) => send(args, true);
  http.get = (...args) => {
    const req = http.request(...args);
    req.end();
    return req;
  };
  https.get = (...args) => {
    const req = https.request(...args);
    req.end();
    return req;
  };
  // `import { request } from 'node:https'` reads the patched functions too.
  syncBuiltinESMExports();

  if (typeof original.fetch === 'function') {
    globalThis.fetch = (input, init) => {
      const request = input instanceof Request ? input : undefined;
      let url;
      try {
        url = new URL(request ? request.url : input);
      } catch {
        return original.fetch(input, init);
      }
      const route = routeFor(url.hostname, rules);
      if (!route) return original.fetch(input, init);
      if (route.kind === 'refused') {
        report(route.message);
        return Promise.reject(
          new TypeError('fetch failed', { cause: new RefusedRequestError(route.message) }),
        );
      }
      const target = `http://${route.hostPort}${url.pathname}${url.search}`;
      return original.fetch(request ? new Request(target, request) : target, init);
    };
  }
}

function splitHostPort(hostPort) {
  const colon = hostPort.lastIndexOf(':');
  return [hostPort.slice(0, colon).replace(/^\[|\]$/g, ''), Number(hostPort.slice(colon + 1))];
}
