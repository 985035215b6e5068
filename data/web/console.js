// The page of a web link (https://HOST:PORT/console/NAME#token=...):
// opens the WebSocket itself, sends the token as the first (text) message,
// then hands the open WebSocket to noVNC. The token lives only in the
// fragment, which no request carries, and leaves the address bar at once.
// Without a token the first message is empty and noVNC asks for a user
// name and password (VeNCrypt Plain inside wss).
import RFB from '/novnc/core/rfb.js';

const status = document.getElementById('status');
const screen = document.getElementById('screen');
let ended = false;

function show(text, state) {
  status.textContent = text;
  status.dataset.state = state;
}

function fail(text) {
  ended = true;
  show(text, 'failed');
}

const name = decodeURIComponent(location.pathname.replace(/^\/console\//, ''));
const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
history.replaceState(null, '', location.pathname);
document.title = name + ' - vncgate';

const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
const ws = new WebSocket(scheme + '//' + location.host + '/ws/console/' + encodeURIComponent(name));
ws.binaryType = 'arraybuffer';

// 4000-4999: the gateway's own refusal, with the reason to show.
ws.addEventListener('close', (e) => {
  if (ended) return;
  if (e.code >= 4000 && e.code <= 4999) fail(e.reason);
  else if (status.dataset.state !== 'connected') fail('The gateway closed the connection.');
});

ws.addEventListener('open', () => {
  ws.send(token);
  const rfb = new RFB(screen, ws, {});
  rfb.scaleViewport = true;
  rfb.addEventListener('connect', () => show('Connected to ' + name, 'connected'));
  rfb.addEventListener('securityfailure', (e) => fail('Login refused: ' + e.detail.reason));
  rfb.addEventListener('credentialsrequired', () => {
    const form = document.getElementById('login');
    form.hidden = false;
    show('Log in to ' + name, 'login');
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      form.hidden = true;
      rfb.sendCredentials({
        username: document.getElementById('user').value,
        password: document.getElementById('password').value,
      });
    }, { once: true });
  });
  rfb.addEventListener('disconnect', () => {
    if (!ended && status.dataset.state === 'connected') fail('Disconnected.');
  });
});
