// The status page: plain JavaScript, no framework and no build step. Every value from the daemon (room and
// user ids come from outside) reaches the page through textContent or a DOM attribute, never as markup.
'use strict';
(function () {
  const REFRESH_MS = 5000;
  const FEED_MAX = 200;
  const FEED_BACKLOG = 50;
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  async function getJson(url) {
    const res = await fetch(url, { headers: { Accept: 'application/json' } });
    if (!res.ok) {
      const err = new Error(`${url}: HTTP ${res.status}`);
      err.status = res.status;
      throw err;
    }
    return res.json();
  }

  const roomPath = (appId, roomId) => `${encodeURIComponent(appId)}/${encodeURIComponent(roomId)}`;

  function age(seconds) {
    if (seconds === null) return 'never';
    if (seconds < 90) return `${Math.round(seconds)} s ago`;
    if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
    return `${(seconds / 3600).toFixed(1)} h ago`;
  }

  /** A poll interval: seconds below 90, minutes above; a dash for a room not polled now. */
  function interval(seconds) {
    if (seconds === null) return '–';
    return seconds < 90 ? `${Math.round(seconds)} s` : `${(seconds / 60).toFixed(1)} min`;
  }

  /** Estimated changes per minute (adaptive polling only). */
  const changeRate = (perMinute) => (perMinute === null ? '–' : perMinute < 10 ? perMinute.toFixed(2) : perMinute.toFixed(0));

  const clockTime = (iso) => new Date(iso).toLocaleTimeString();

  let latestEventId = null;

  // ---- daemon state -------------------------------------------------------------------------------
  async function loadStatus() {
    try {
      const s = await getJson('api/status');
      latestEventId = s.latestEventId;
      $('version').textContent = `v${s.version}`;
      $('ready').textContent = s.ready ? 'ready' : 'waiting for first cycle';
      $('ready').className = `badge ${s.ready ? 'ok' : 'warn'}`;
      const a = s.accounts;
      $('qps').textContent = a.map((x) => `${x.effectiveQps} / ${x.configuredQps}`).join(', ');
      $('accounts').textContent = a.map((x) => x.account).join(', ');
      $('queue').textContent = a.map((x) => x.limiterQueue).join(', ');
      const c = s.cycles;
      $('cycle').textContent = c.lastDurationSeconds === null ? '–' : `${c.lastDurationSeconds.toFixed(2)} s`;
      $('cycle-sub').textContent = `${c.completed} cycles, room every ${c.pollIntervalSeconds.toFixed(1)} s`;
      $('overruns').textContent = String(c.overruns);
      $('discovery').textContent = s.discovery.map((d) => `${d.source}: ${d.healthy ? 'ok' : `failing (${d.error})`}, ${d.rooms} rooms`).join('; ');
      $('role').textContent = s.role;
    } catch {
      $('ready').textContent = 'daemon unreachable';
      $('ready').className = 'badge bad';
    }
  }

  // ---- rooms table --------------------------------------------------------------------------------
  const table = { q: '', sort: 'totalUsers', order: 'desc', offset: 0, limit: 50, total: 0 };
  let roomsSeq = 0;

  async function loadRooms() {
    const seq = ++roomsSeq;
    const params = new URLSearchParams({ q: table.q, sort: table.sort, order: table.order, offset: String(table.offset), limit: String(table.limit) });
    let page;
    try {
      page = await getJson(`api/rooms?${params}`);
    } catch {
      return; // the status badge says the daemon is unreachable
    }
    if (seq !== roomsSeq) return; // a newer query was sent meanwhile
    table.total = page.total;
    const body = document.querySelector('#rooms tbody');
    const rows = page.rooms.map((r) => {
      const tr = el('tr');
      tr.dataset.app = r.appId;
      tr.dataset.room = r.roomId;
      tr.append(el('td', r.account), el('td', r.appId));
      const link = el('a', r.roomId);
      link.href = `#/room/${roomPath(r.appId, r.roomId)}`;
      const name = el('td');
      name.append(link);
      tr.append(name, el('td', r.totalUsers, 'num'), el('td', r.invisibleUsers, 'num'), capacityCell(r));
      tr.append(el('td', r.up === null ? 'pending' : r.up ? 'up' : 'down', `state ${r.up === null ? 'warn' : r.up ? 'ok' : 'bad'}`));
      tr.append(el('td', age(r.lastSuccessAgeSeconds), 'num'), el('td', interval(r.pollIntervalSeconds), 'num'), el('td', changeRate(r.changesPerMinute), 'num'), el('td', r.source));
      return tr;
    });
    body.replaceChildren(...rows);
    if (rows.length === 0) {
      const td = el('td', table.q ? 'No room matches the filter.' : 'No rooms configured.', 'empty');
      td.colSpan = 11;
      const tr = el('tr');
      tr.append(td);
      body.append(tr);
    }
    const last = Math.min(table.offset + table.limit, page.total);
    $('room-count').textContent = `${page.total.toLocaleString()} room${page.total === 1 ? '' : 's'}${table.q ? ' match' : ''}`;
    $('page-info').textContent = page.total === 0 ? '' : `${(table.offset + 1).toLocaleString()}–${last.toLocaleString()} of ${page.total.toLocaleString()}`;
    $('prev').disabled = table.offset === 0;
    $('next').disabled = last >= page.total;
  }

  function capacityCell(r) {
    const td = el('td');
    if (r.capacityUse === null) {
      td.textContent = '–';
      return td;
    }
    const pct = r.capacityUse * 100;
    const bar = el('span', null, `bar${pct >= 90 ? ' hot' : ''}`);
    const fill = el('span');
    fill.style.width = `${Math.min(100, pct)}%`; // CSSOM, allowed by the page's style-src policy
    bar.append(fill);
    td.append(bar, el('span', `${pct.toFixed(0)}% of ${r.capacity}`, 'muted'));
    return td;
  }

  function markSort() {
    for (const th of document.querySelectorAll('#rooms th[data-sort]')) {
      const on = th.dataset.sort === table.sort;
      th.setAttribute('aria-sort', on ? (table.order === 'asc' ? 'ascending' : 'descending') : 'none');
    }
  }

  function setupTable() {
    for (const th of document.querySelectorAll('#rooms th[data-sort]')) {
      th.tabIndex = 0;
      const sortBy = () => {
        const key = th.dataset.sort;
        if (table.sort === key) table.order = table.order === 'asc' ? 'desc' : 'asc';
        else {
          table.sort = key;
          table.order = ['totalUsers', 'invisibleUsers', 'capacityUse'].includes(key) ? 'desc' : 'asc';
        }
        table.offset = 0;
        markSort();
        loadRooms();
      };
      th.addEventListener('click', sortBy);
      th.addEventListener('keydown', (e) => e.key === 'Enter' && sortBy());
    }
    let debounce;
    $('filter').addEventListener('input', () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        table.q = $('filter').value.trim();
        table.offset = 0;
        loadRooms();
      }, 150);
    });
    $('prev').addEventListener('click', () => {
      table.offset = Math.max(0, table.offset - table.limit);
      loadRooms();
    });
    $('next').addEventListener('click', () => {
      if (table.offset + table.limit < table.total) table.offset += table.limit;
      loadRooms();
    });
    $('page-size').addEventListener('change', () => {
      table.limit = Number($('page-size').value);
      table.offset = 0;
      loadRooms();
    });
    markSort();
  }

  // ---- room view ----------------------------------------------------------------------------------
  let openRoom = null; // { appId, roomId } while the room view shows

  function route() {
    const m = /^#\/room\/([^/]*)\/([^/]*)$/.exec(location.hash);
    let room = null;
    if (m) {
      try {
        room = { appId: decodeURIComponent(m[1]), roomId: decodeURIComponent(m[2]) };
      } catch {
        room = null;
      }
    }
    openRoom = room;
    $('rooms-view').hidden = room !== null;
    $('room-view').hidden = room === null;
    if (room) {
      $('room-app').textContent = room.appId;
      $('room-id').textContent = room.roomId;
      $('room-summary').textContent = 'loading…';
      loadRoom();
    } else loadRooms();
  }

  async function loadRoom() {
    const room = openRoom;
    if (!room) return;
    let r;
    try {
      r = await getJson(`api/rooms/${roomPath(room.appId, room.roomId)}`);
    } catch (err) {
      if (room === openRoom) $('room-summary').textContent = err.status === 404 ? 'This room is not monitored.' : 'Could not load the room.';
      return;
    }
    if (room !== openRoom) return;
    const state = r.up === null ? 'not polled yet' : r.up ? 'up' : 'last poll failed';
    const cap = r.capacity === null ? '' : `, ${(r.capacityUse * 100).toFixed(0)}% of capacity ${r.capacity}`;
    $('room-summary').textContent = `${r.totalUsers} users (${r.invisibleUsers} invisible)${cap}; ${state}; last success ${age(r.lastSuccessAgeSeconds)}; account ${r.account}, source ${r.source}` + (r.exists === false ? '; the room does not exist now' : '') + (r.invisibleTruncated ? '; invisible list truncated by the API' : '') + (r.visibleTruncated ? '; visible list truncated by the API' : '');
    fillList($('visible'), r.members.visible);
    fillList($('invisible'), r.members.invisible);
    $('visible-count').textContent = `(${r.members.visible.length})`;
    $('invisible-count').textContent = `(${r.members.invisible.length})`;
    $('room-events').replaceChildren(...r.recentEvents.map((e) => eventItem(e, false)));
    if (r.recentEvents.length === 0) $('room-events').append(el('li', 'No events since the daemon started.', 'muted'));
    $('room-chart').replaceChildren(chart(r.occupancy));
  }

  // A busy room sends many events; reload its view at most once a second.
  let roomTimer = null;
  function refreshRoomSoon() {
    if (roomTimer === null) roomTimer = setTimeout(() => {
      roomTimer = null;
      loadRoom();
    }, 1000);
  }

  const byName = new Intl.Collator(undefined, { numeric: true }).compare; // user_2 before user_10

  function fillList(list, ids) {
    const shown = ids.slice().sort(byName).slice(0, 1000);
    list.replaceChildren(...shown.map((id) => el('li', id)));
    if (ids.length > shown.length) list.append(el('li', `… and ${ids.length - shown.length} more`, 'muted'));
    if (ids.length === 0) list.append(el('li', 'none', 'muted'));
  }

  // An inline SVG line chart: two polylines over a one-hour axis is all this needs; a chart library would
  // outweigh the rest of the page.
  function chart(points) {
    const W = 640, H = 150, L = 36, B = 20, T = 8;
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'Room occupancy over the last hour');
    const now = Date.now();
    const from = now - 3600_000;
    const max = Math.max(1, ...points.map((p) => p.totalUsers));
    const x = (t) => L + ((t - from) / 3600_000) * (W - L - 4);
    const y = (v) => T + (1 - v / max) * (H - T - B);
    const add = (name, attrs, text) => {
      const node = document.createElementNS(SVG, name);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
      if (text !== undefined) node.textContent = text;
      svg.append(node);
    };
    add('line', { x1: L, y1: y(0), x2: W - 4, y2: y(0), class: 'axis' });
    add('line', { x1: L, y1: y(max), x2: W - 4, y2: y(max), class: 'grid' });
    add('text', { x: L - 4, y: y(max) + 4, 'text-anchor': 'end' }, String(max));
    add('text', { x: L - 4, y: y(0) + 4, 'text-anchor': 'end' }, '0');
    add('text', { x: L, y: H - 4 }, '−60 min');
    add('text', { x: (L + W) / 2, y: H - 4, 'text-anchor': 'middle' }, '−30 min');
    add('text', { x: W - 4, y: H - 4, 'text-anchor': 'end' }, 'now');
    if (points.length === 0) {
      add('text', { x: (L + W) / 2, y: H / 2, 'text-anchor': 'middle', class: 'muted' }, 'No successful poll yet');
      return svg;
    }
    const line = (key) => points.map((p) => `${x(Date.parse(p.time)).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
    add('polyline', { points: line('totalUsers'), class: 'total' });
    add('polyline', { points: line('invisibleUsers'), class: 'invisible' });
    // The newest point as a dot, so a room polled for only a few seconds shows something.
    const lastPoint = points[points.length - 1];
    add('circle', { cx: x(Date.parse(lastPoint.time)).toFixed(1), cy: y(lastPoint.totalUsers).toFixed(1), r: 3, class: 'total' });
    const legend = el('div', null, 'legend');
    legend.append(el('span', 'total', 'key total'), el('span', 'invisible', 'key invisible'));
    const wrap = el('div');
    wrap.append(svg, legend);
    return wrap;
  }

  // ---- live feed ----------------------------------------------------------------------------------
  function eventItem(e, withRoom) {
    const li = el('li');
    li.dataset.id = e.id;
    li.append(el('time', clockTime(e.time)), el('span', e.type.replace('_', ' '), `type ${e.type}`));
    if (withRoom) {
      const a = el('a', e.roomId);
      a.href = `#/room/${roomPath(e.appId, e.roomId)}`;
      a.title = `app ${e.appId}`;
      li.append(a);
    }
    li.append(el('span', e.userId, 'user'));
    if (e.visibility === 'invisible') li.append(el('span', 'invisible', 'tag'));
    // What saw the change: a vendor callback (within a second) or a poll (events before sources existed: poll).
    const via = e.source === 'callback' ? 'callback' : 'poll';
    const tag = el('span', via, `via ${via}`);
    tag.title = via === 'callback' ? 'reported by a vendor callback' : 'found by a poll of GetRoomOnlineUsers';
    li.append(tag);
    return li;
  }

  let source = null;
  let lastId = null;
  let retryTimer;

  function connectFeed() {
    if (source) source.close();
    clearTimeout(retryTimer);
    const params = new URLSearchParams();
    const room = $('feed-room').value.trim();
    if (room) params.set('room', room);
    // EventSource resends Last-Event-ID on its own reconnects; after we reopen it ourselves, the query does.
    if (lastId !== null) params.set('lastEventId', lastId);
    const query = params.toString();
    const es = new EventSource(`api/events/stream${query ? `?${query}` : ''}`);
    source = es;
    const state = $('feed-state');
    es.onopen = () => {
      state.textContent = 'live';
      state.className = 'badge ok';
    };
    es.onerror = () => {
      state.textContent = 'reconnecting';
      state.className = 'badge warn';
      // A refused or failed response closes the EventSource for good; reopen it ourselves.
      if (es.readyState === EventSource.CLOSED && source === es) retryTimer = setTimeout(connectFeed, 2000);
    };
    es.addEventListener('member', (msg) => {
      const e = JSON.parse(msg.data);
      lastId = e.id;
      const list = $('feed-list');
      list.prepend(eventItem(e, true));
      while (list.children.length > FEED_MAX) list.lastElementChild.remove();
      if (openRoom && openRoom.appId === e.appId && openRoom.roomId === e.roomId) refreshRoomSoon();
    });
  }

  function setupFeed() {
    let debounce;
    $('feed-room').addEventListener('input', () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        lastId = null; // a new filter starts from now
        $('feed-list').replaceChildren();
        connectFeed();
      }, 300);
    });
    // Open with the last few events ("what just happened"), then live.
    if (latestEventId !== null) lastId = Math.max(0, latestEventId - FEED_BACKLOG);
    connectFeed();
  }

  // ---- start --------------------------------------------------------------------------------------
  setupTable();
  window.addEventListener('hashchange', route);
  route();
  loadStatus().then(setupFeed);
  setInterval(() => {
    loadStatus();
    if (openRoom) loadRoom();
    else loadRooms();
  }, REFRESH_MS);
})();
