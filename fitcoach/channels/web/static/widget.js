/*
 * fitcoach web chat widget. Embed with ONE tag (no build step):
 *
 *   <script src="https://coach.example.com/widget.js" defer></script>
 *
 * Optional attributes on that tag:
 *   data-user-token="…"   a host-signed user token (see docs/channels/web.md)
 *   data-title="…"        the panel title (default "fitcoach")
 *   data-open="true"      open the panel on load
 *
 * It talks to the server the script came from: WS /ws/chat (streamed replies), with
 * POST /api/chat as fallback, GET /api/chat/history on load (the conversation as it looked:
 * images, photos, quick replies; images fetched with the same credentials from
 * /api/chat/media/…) and photos as base64.
 * The UI lives in a shadow root, so host page styles and the widget's never mix.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.fitcoachWidget) return;

  var ORIGIN = new URL(script.src, location.href).origin;
  var WS_URL = ORIGIN.replace(/^http/, "ws") + "/ws/chat";
  var KEY = "fitcoach:" + ORIGIN + ":";
  var USER_TOKEN = script.getAttribute("data-user-token") || null;
  var TITLE = script.getAttribute("data-title") || "fitcoach";
  var MAX_SIDE = 1600;
  var MAX_ATTEMPTS_BEFORE_FALLBACK = 3;
  var MAX_RETRIES = 10; // sends of one message the server could not store (≈ 20 s)
  var RETRY_AFTER_S = 2; // the HTTP fallback's pause after a 503

  var state = {
    ws: null,
    ready: false,
    everReady: false,
    fallback: false,
    attempts: 0,
    maxPhoto: 1500000,
    pending: {}, // client message id -> frame, until its reply ends
    retries: {}, // client message id -> times sent again because the server could not store it
    replies: {}, // reply id -> { bubble, inReplyTo }
    historyLoaded: false,
    historyPolls: 0, // re-reads of the history while a past message is still being answered
    liveIds: {}, // ids of messages sent from this page: history never shows them twice
    liveStarted: false, // once true, the history no longer sets the quick replies
    quickOwner: null, // the coach bubble whose buttons are in the quick-reply bar
    quickButtons: [],
    blobs: {}, // media path -> object URL of an image fetched with credentials
  };
  var HISTORY_POLL_MS = 3000;
  var MAX_HISTORY_POLLS = 20;

  // ---------- storage ----------
  function read(store, name) {
    try { return window[store].getItem(KEY + name); } catch (e) { return null; }
  }
  function write(store, name, value) {
    try {
      if (value === null) window[store].removeItem(KEY + name);
      else window[store].setItem(KEY + name, value);
    } catch (e) { /* private mode: the session lasts for this page only */ }
  }
  var memorySession = null;
  function session() { return read("localStorage", "session") || memorySession; }
  function setSession(id) { memorySession = id; write("localStorage", "session", id); }

  function newId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // ---------- DOM ----------
  var host = document.createElement("div");
  host.setAttribute("data-fitcoach-widget", "");
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    '<link rel="stylesheet" href="' + ORIGIN + '/widget.css">' +
    '<div class="fc" data-loading>' +
    '<button class="fc-launcher" type="button" aria-expanded="false" aria-controls="fc-panel"' +
    ' aria-label="Open chat with your coach">' +
    '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">' +
    '<path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6' +
    'a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z"/>' +
    "</svg></button>" +
    '<section class="fc-panel" id="fc-panel" role="dialog" aria-modal="false"' +
    ' aria-labelledby="fc-title" hidden>' +
    '<header class="fc-header"><div><h2 class="fc-title" id="fc-title"></h2>' +
    '<p class="fc-status" id="fc-status">Connecting…</p></div>' +
    '<button class="fc-close" type="button" aria-label="Close chat">' +
    '<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">' +
    '<path fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round"' +
    ' d="M6 6l12 12M18 6L6 18"/></svg></button></header>' +
    '<div class="fc-log" role="log" aria-live="polite" aria-relevant="additions text"' +
    ' aria-label="Conversation" tabindex="0"></div>' +
    '<div class="fc-quick" role="group" aria-label="Quick replies" hidden></div>' +
    '<form class="fc-form" novalidate>' +
    '<button class="fc-attach" type="button" aria-label="Send a food photo">' +
    '<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">' +
    '<path fill="currentColor" d="M9 4l-1.8 2H4a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V8' +
    'a2 2 0 0 0-2-2h-3.2L15 4H9zm3 4.5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zm0 2a2.5 2.5 0 1 0 0 5' +
    ' 2.5 2.5 0 0 0 0-5z"/></svg></button>' +
    '<input class="fc-file" type="file" accept="image/jpeg,image/png,image/webp,image/gif"' +
    ' tabindex="-1" aria-hidden="true" hidden>' +
    '<label class="fc-sr" for="fc-input">Message</label>' +
    '<input class="fc-input" id="fc-input" type="text" autocomplete="off" maxlength="4000"' +
    ' enterkeyhint="send" placeholder="Type a message…">' +
    '<button class="fc-send" type="submit">Send</button>' +
    "</form></section></div>";

  function $(selector) { return root.querySelector(selector); }
  var wrapper = $(".fc");
  var launcher = $(".fc-launcher");
  var panel = $(".fc-panel");
  var closeButton = $(".fc-close");
  var statusLine = $(".fc-status");
  var log = $(".fc-log");
  var quick = $(".fc-quick");
  var form = $(".fc-form");
  var input = $(".fc-input");
  var attach = $(".fc-attach");
  var fileInput = $(".fc-file");
  $(".fc-title").textContent = TITLE;
  $("link").addEventListener("load", function () { wrapper.removeAttribute("data-loading"); });
  $("link").addEventListener("error", function () { wrapper.removeAttribute("data-loading"); });

  function setStatus(text) { statusLine.textContent = text; }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function bubble(role, text, extraClass) {
    var item = document.createElement("div");
    item.className = "fc-msg fc-" + role + (extraClass ? " " + extraClass : "");
    var who = document.createElement("span");
    who.className = "fc-sr";
    who.textContent = role === "user" ? "You: " : "Coach: ";
    var body = document.createElement("span");
    body.className = "fc-text";
    body.textContent = text;
    item.appendChild(who);
    item.appendChild(body);
    return item;
  }

  function addBubble(role, text, extraClass) {
    var item = bubble(role, text, extraClass);
    dropIntro();
    log.insertBefore(item, typingDots.parentNode === log ? typingDots : null);
    scrollDown();
    return item;
  }

  var intro = document.createElement("p");
  intro.className = "fc-intro";
  intro.textContent =
    "Hi! Tell me what you ate or how you trained, e.g. \u201chad 2 eggs and a banana\u201d " +
    "or \u201cbench 3x5 at 80kg\u201d, or send a photo of your plate.";
  log.appendChild(intro);
  function dropIntro() { if (intro.parentNode) intro.parentNode.removeChild(intro); }

  var typingDots = document.createElement("div");
  typingDots.className = "fc-typing";
  typingDots.setAttribute("aria-hidden", "true");
  typingDots.innerHTML = "<span></span><span></span><span></span>";

  function showTyping(on) {
    if (on && typingDots.parentNode !== log) log.appendChild(typingDots);
    if (!on && typingDots.parentNode === log) log.removeChild(typingDots);
    if (on) scrollDown();
    setStatus(on ? "Coach is typing…" : state.ready || state.fallback ? "Online" : "Connecting…");
  }

  // The last coach message's buttons live in the quick-reply bar (real buttons, in the tab
  // order). Once answered or superseded they stay in their message as plain chips, the same
  // live and after a reload.
  function setQuickReplies(buttons, owner) {
    retireQuickReplies(null);
    if (!buttons || buttons.length === 0) return;
    state.quickOwner = owner || null;
    state.quickButtons = buttons;
    quick.hidden = false;
    buttons.forEach(function (button) {
      var choice = document.createElement("button");
      choice.type = "button";
      choice.className = "fc-choice";
      choice.textContent = button.label;
      choice.addEventListener("click", function () {
        retireQuickReplies(button.value);
        sendText(button.value, button.label);
        input.focus();
      });
      quick.appendChild(choice);
    });
  }

  function retireQuickReplies(answer) {
    if (state.quickOwner && state.quickButtons.length) {
      addChips(state.quickOwner, state.quickButtons, answer);
    }
    state.quickOwner = null;
    state.quickButtons = [];
    quick.textContent = "";
    quick.hidden = true;
  }

  function chosen(buttons, answer) {
    if (answer === null || answer === undefined) return null;
    var wanted = String(answer).trim().toLowerCase();
    for (var i = 0; i < buttons.length; i += 1) {
      if (buttons[i].value.toLowerCase() === wanted || buttons[i].label.toLowerCase() === wanted) {
        return buttons[i];
      }
    }
    return null;
  }

  function addChips(item, buttons, answer) {
    if (item.querySelector(".fc-chips")) return;
    var picked = chosen(buttons, answer);
    var list = document.createElement("ul");
    list.className = "fc-chips";
    list.setAttribute("aria-label", "Options offered");
    buttons.forEach(function (button) {
      var chip = document.createElement("li");
      chip.className = "fc-chip" + (button === picked ? " fc-chip-picked" : "");
      chip.textContent = button.label;
      if (button === picked) {
        var note = document.createElement("span");
        note.className = "fc-sr";
        note.textContent = " (your choice)";
        chip.appendChild(note);
      }
      list.appendChild(chip);
    });
    item.appendChild(list);
  }

  // ---------- open / close ----------
  function openPanel(focus) {
    panel.hidden = false;
    wrapper.classList.add("fc-open");
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", "Close chat with your coach");
    write("sessionStorage", "open", "1");
    connect();
    loadHistory();
    scrollDown();
    if (focus) input.focus();
  }

  function closePanel() {
    panel.hidden = true;
    wrapper.classList.remove("fc-open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", "Open chat with your coach");
    write("sessionStorage", "open", null);
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) openPanel(true); else closePanel();
  });
  closeButton.addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); closePanel(); }
  });

  // ---------- socket ----------
  function authHeaders() {
    var result = {};
    if (USER_TOKEN) result.Authorization = "Bearer " + USER_TOKEN;
    var current = session();
    if (current && !USER_TOKEN) result["X-Fitcoach-Session"] = current;
    return result;
  }

  function headers() {
    var result = authHeaders();
    result["Content-Type"] = "application/json";
    return result;
  }

  function connect() {
    if (state.ws || state.fallback || !("WebSocket" in window)) {
      if (!("WebSocket" in window)) state.fallback = true;
      return;
    }
    var ws = new WebSocket(WS_URL);
    state.ws = ws;
    ws.onopen = function () {
      ws.send(JSON.stringify({ type: "hello", session_id: session(), user_token: USER_TOKEN }));
    };
    ws.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      onFrame(frame);
    };
    ws.onclose = function (event) {
      state.ws = null;
      state.ready = false;
      if (event.code === 4401) {
        setStatus("Signed out");
        addBubble("coach", "Your sign-in has expired. Please reload the page.", "fc-error");
        return;
      }
      if (event.code === 4400 && session()) setSession(null); // a stale session id
      state.attempts += 1;
      if (!state.everReady && state.attempts >= MAX_ATTEMPTS_BEFORE_FALLBACK) {
        state.fallback = true; // e.g. a proxy that blocks WebSockets: use HTTP
        setStatus("Online");
        flushPending();
        return;
      }
      setStatus("Reconnecting…");
      setTimeout(connect, Math.min(15000, 500 * Math.pow(2, state.attempts)));
    };
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "ready":
        state.ready = true;
        state.everReady = true;
        state.attempts = 0;
        state.maxPhoto = frame.max_photo_bytes || state.maxPhoto;
        if (frame.identity === "anonymous") setSession(frame.session_id);
        setStatus("Online");
        flushPending();
        break;
      case "start":
        state.liveStarted = true;
        showTyping(false);
        var item = addBubble("coach", "");
        item.setAttribute("aria-busy", "true");
        state.replies[frame.id] = { bubble: item, inReplyTo: frame.in_reply_to };
        break;
      case "delta":
        var open = state.replies[frame.id];
        if (open) { open.bubble.querySelector(".fc-text").textContent += frame.text; scrollDown(); }
        break;
      case "end":
        var done = state.replies[frame.id];
        if (!done) break;
        done.bubble.querySelector(".fc-text").textContent = frame.text;
        done.bubble.removeAttribute("aria-busy");
        (frame.images || []).forEach(function (image) { addImage(done.bubble, image.url); });
        delete state.replies[frame.id];
        finish(done.inReplyTo);
        setQuickReplies(frame.buttons, done.bubble);
        scrollDown();
        break;
      case "error":
        // The server could not store the message (its storage restarts): nothing was
        // accepted, so the same message (same id) goes again after the pause it asks for.
        if (frame.retry_after_s && retryLater(frame.in_reply_to, frame.retry_after_s)) break;
        if (frame.in_reply_to) finish(frame.in_reply_to);
        showTyping(Object.keys(state.pending).length > 0);
        addBubble("coach", frame.message || "Something went wrong.", "fc-error");
        break;
      default:
        break; // ack, pong and future frame types
    }
  }

  function retryLater(id, seconds) {
    if (!id || !state.pending[id]) return false;
    state.retries[id] = (state.retries[id] || 0) + 1;
    if (state.retries[id] > MAX_RETRIES) return false;
    showTyping(true);
    setTimeout(function () { if (state.pending[id]) transmit(state.pending[id]); }, seconds * 1000);
    return true;
  }

  function finish(id) {
    delete state.retries[id];
    delete state.pending[id];
    if (Object.keys(state.pending).length === 0) showTyping(false);
  }

  function flushPending() {
    Object.keys(state.pending).forEach(function (id) { transmit(state.pending[id]); });
  }

  function transmit(frame) {
    if (state.fallback) { postFrame(frame); return; }
    if (state.ws && state.ready) state.ws.send(JSON.stringify(frame));
    else connect(); // sent from flushPending once ready
  }

  // ---------- HTTP fallback ----------
  function postFrame(frame) {
    var body = { text: frame.text, message_id: frame.id };
    var current = session();
    if (current) body.session_id = current;
    var path = "/api/chat";
    if (frame.image) { path = "/api/chat/photo"; body.image = frame.image; }
    if (!frame.text && !frame.image) return;
    fetch(ORIGIN + path, { method: "POST", headers: headers(), body: JSON.stringify(body) })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, status: response.status, data: data };
        });
      })
      .then(function (result) {
        if (result.status === 503 && retryLater(frame.id, RETRY_AFTER_S)) return;
        finish(frame.id);
        if (!result.ok) {
          var detail = result.data && result.data.detail;
          addBubble("coach", typeof detail === "string" ? detail : "Please try again.", "fc-error");
          return;
        }
        if (!USER_TOKEN) setSession(result.data.session_id);
        state.liveStarted = true;
        result.data.replies.forEach(function (reply) {
          var item = addBubble("coach", reply.text);
          (reply.images || []).forEach(function (image) {
            if (/^(https?:|data:image\/)/.test(image.ref)) addImage(item, image.ref);
          });
          setQuickReplies(reply.buttons, item);
        });
      })
      .catch(function () {
        finish(frame.id);
        addBubble("coach", "I couldn't reach the coach. Please try again.", "fc-error");
      });
  }

  // ---------- history ----------
  // The conversation as it looked: text, the coach's images and quick replies (clickable
  // only on the last message), the person's photos. A message still being answered shows
  // "…" and the history is read again until its reply is there.
  function loadHistory() {
    if (state.historyLoaded || (!session() && !USER_TOKEN)) return;
    state.historyLoaded = true;
    fetchHistory();
  }

  function fetchHistory() {
    fetch(ORIGIN + "/api/chat/history?limit=50", { headers: authHeaders() })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) renderHistory(data.messages || []); })
      .catch(function () { state.historyLoaded = false; });
  }

  function renderHistory(all) {
    var messages = all.filter(function (m) {
      return !(m.message_id && state.liveIds[m.message_id]); // already shown live
    });
    Array.prototype.slice.call(log.querySelectorAll(".fc-past")).forEach(function (node) {
      log.removeChild(node);
    });
    if (messages.length) dropIntro();
    var first = log.firstChild;
    var offered = null; // { buttons, bubble } of a coach message waiting for its answer
    var active = null;
    var pending = false;
    messages.forEach(function (message) {
      var role = message.role === "user" ? "user" : "coach";
      var text = message.text || "";
      var images = message.images || [];
      if (role === "user" && offered) {
        var picked = chosen(offered.buttons, text);
        if (picked) text = picked.label; // shown as when the button was pressed
        addChips(offered.bubble, offered.buttons, message.text);
        offered = null;
      } else if (offered) {
        addChips(offered.bubble, offered.buttons, null);
        offered = null;
      }
      if (role === "user" && !text && !images.length) text = "\ud83d\udcf7 Photo";
      var item = bubble(role, text, "fc-past");
      images.forEach(function (image) { addImage(item, image.url); });
      log.insertBefore(item, first);
      var buttons = message.buttons || [];
      if (role === "coach" && buttons.length) {
        if (message.buttons_active) active = { buttons: buttons, bubble: item };
        else offered = { buttons: buttons, bubble: item };
      }
      if (role === "user" && message.pending) {
        pending = true;
        var waiting = bubble("coach", "\u2026", "fc-past fc-pending");
        waiting.querySelector(".fc-sr").textContent = "Coach is still answering";
        log.insertBefore(waiting, first);
      }
    });
    if (offered) addChips(offered.bubble, offered.buttons, null);
    if (!state.liveStarted) {
      if (active) restoreQuickReplies(active);
      else if (state.quickButtons.length) { state.quickOwner = null; retireQuickReplies(null); }
    }
    if (pending && state.historyPolls < MAX_HISTORY_POLLS) {
      state.historyPolls += 1;
      setTimeout(fetchHistory, HISTORY_POLL_MS);
    }
    scrollDown();
  }

  function restoreQuickReplies(active) {
    var same = JSON.stringify(active.buttons) === JSON.stringify(state.quickButtons);
    if (same && !quick.hidden) { state.quickOwner = active.bubble; return; } // keep focus
    state.quickOwner = null; // a re-read must not leave chips on a removed bubble
    setQuickReplies(active.buttons, active.bubble);
  }

  // ---------- sending ----------
  function sendText(text, shown) {
    var frame = { type: "message", id: newId(), text: text };
    state.liveIds[frame.id] = true;
    state.liveStarted = true;
    addBubble("user", shown || text);
    state.pending[frame.id] = frame;
    showTyping(true);
    transmit(frame);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    retireQuickReplies(text);
    sendText(text);
  });

  attach.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () {
    var file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (file) sendPhoto(file);
  });

  // Images of past messages are server paths (/api/chat/media/…) that answer only with this
  // session's credentials: fetched with them and shown from an object URL.
  function addImage(item, url) {
    var image = document.createElement("img");
    image.alt = item.classList.contains("fc-user") ? "Your photo" : "Image from the coach";
    image.className = "fc-image";
    item.appendChild(image);
    if (url.charAt(0) === "/") loadPrivateImage(image, url);
    else image.src = url;
  }

  function loadPrivateImage(image, path) {
    if (state.blobs[path]) { image.src = state.blobs[path]; return; }
    image.setAttribute("data-loading", "");
    fetch(ORIGIN + path, { headers: authHeaders() })
      .then(function (response) {
        if (!response.ok) throw new Error("image " + response.status);
        return response.blob();
      })
      .then(function (blob) {
        state.blobs[path] = URL.createObjectURL(blob);
        image.src = state.blobs[path];
        image.removeAttribute("data-loading");
      })
      .catch(function () {
        var missing = document.createElement("span");
        missing.className = "fc-image-missing";
        missing.textContent = image.alt + " is no longer available";
        if (image.parentNode) image.parentNode.replaceChild(missing, image);
      });
  }

  function shrink(file) {
    if (!window.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }

  function base64(blob) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(String(reader.result).split(",")[1]); };
      reader.onerror = reject;
      reader.readAsDataURL(blob);
    });
  }

  function sendPhoto(file) {
    var caption = input.value.trim();
    input.value = "";
    shrink(file).then(function (blob) {
      if (blob.size > state.maxPhoto) {
        addBubble("coach", "That photo is too large. Please pick a smaller one.", "fc-error");
        return null;
      }
      return base64(blob).then(function (data) {
        retireQuickReplies(null);
        var item = addBubble("user", caption);
        addImage(item, URL.createObjectURL(blob));
        var frame = {
          type: "message", id: newId(), text: caption,
          image: { data: data, mime_type: blob.type || "image/jpeg" },
        };
        state.liveIds[frame.id] = true;
        state.liveStarted = true;
        state.pending[frame.id] = frame;
        showTyping(true);
        transmit(frame);
        return null;
      });
    }).catch(function () {
      addBubble("coach", "I couldn't read that photo. Please try another.", "fc-error");
    });
  }

  // ---------- start ----------
  function start() {
    document.body.appendChild(host);
    if (script.getAttribute("data-open") === "true" || read("sessionStorage", "open")) {
      openPanel(false);
    }
  }

  window.fitcoachWidget = { open: function () { openPanel(true); }, close: closePanel };
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
