// The grading room's page: one question at a time, every student's answer to it, graded by keyboard.
// No framework and no inline script (the server's CSP allows only this file). Every change goes through
// fetch, so the page never reloads; /api/changes is polled to show other graders' changes.
// Student answers arrive as HTML rendered and escaped by the server and are inserted as is; grader text
// (names, comments, history) is always set as textContent.
"use strict";

(function () {
  const GRADER_KEY = "gradingRoom.grader";
  const POLL_MS = 2000;
  const HISTORY_DELAY_MS = 150;  // history loads once focus rests on a card, not for every j on the way
  const SHIFTED_DIGITS = "!@#$%^&*(";  // Shift+1..9 on a US keyboard, for browsers whose event has no code

  const token = new URLSearchParams(location.search).get("token") || "";
  const $ = (id) => document.getElementById(id);

  const room = {
    info: null,            // GET /api/room
    qIndex: 0,
    question: null,        // the question shown
    rubric: [],            // its items, by position
    cards: [],             // one per answer, in the server's order
    byKey: new Map(),
    focus: -1,
    ungradedOnly: false,
    names: false,
    seq: null,             // last change seen; null until the first poll
    grader: localStorage.getItem(GRADER_KEY) || "",
    linked: false,         // the link is a grader's own: the server records its name, none is typed
    historyTimer: 0,
    load: 0,               // counts question loads: a late answer to an old load is dropped
  };

  // --- server ---------------------------------------------------------------------------------

  async function api(path, body) {
    const init = { headers: { "X-Room-Token": token }, cache: "no-store" };
    if (body !== undefined) {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    let data = null;
    try {
      data = await response.json();
    } catch (err) {
      data = { error: `${response.status} ${response.statusText}` };
    }
    return { status: response.status, data: data };
  }

  function qPath(qid) {
    return `/api/questions/${encodeURIComponent(qid)}`;
  }

  function answerPath(qid, key) {
    return `${qPath(qid)}/answers/${encodeURIComponent(key)}`;
  }

  // --- small helpers --------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function num(value) {
    return String(Math.round(Number(value) * 10000) / 10000);
  }

  function signed(value) {
    return Number(value) < 0 ? `\u2212${num(-value)}` : `+${num(value)}`;
  }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  function say(text) {
    $("status").textContent = text;
  }

  function isBox(node) {
    if (!node || !node.tagName) return false;
    if (node.isContentEditable) return true;
    if (node.tagName === "TEXTAREA" || node.tagName === "SELECT") return true;
    return node.tagName === "INPUT" && !["checkbox", "radio", "button", "submit", "reset"].includes(node.type);
  }

  // --- grader's name --------------------------------------------------------------------------

  function validName(name) {
    // as the server's check_grader: 1-60 printable characters, at least one a letter or digit
    return name.length >= 1 && name.length <= 60 && !/[\u0000-\u001f\u007f]/.test(name) && /[\p{L}\p{N}]/u.test(name);
  }

  function askName() {
    if (room.linked) return;
    $("who").hidden = false;
    $("who-input").value = room.grader;
    $("who-input").focus();
  }

  function showName() {
    $("grader-name").textContent = room.grader || "?";
  }

  $("who-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("who-input").value.trim();
    if (!validName(name)) {
      say("A name is 1 to 60 printable characters, at least one a letter or digit.");
      return;
    }
    room.grader = name;
    localStorage.setItem(GRADER_KEY, name);
    $("who").hidden = true;
    showName();
    focusCard(room.focus >= 0 ? room.focus : firstVisible());
  });
  $("change-grader").addEventListener("click", askName);

  // --- the question and its rubric -------------------------------------------------------------

  function showQuestion() {
    const q = room.question;
    $("question-heading").textContent = q.title;
    $("question-points").textContent = `${num(q.points)} point${Number(q.points) === 1 ? "" : "s"}`;
    $("question-text").innerHTML = q.html;  // the assignment's own text, rendered by the server
    $("question-picker").value = q.id;
    history.replaceState(null, "", `${location.pathname}${location.search}#q=${encodeURIComponent(q.id)}`);
  }

  function showRubric() {
    const list = $("rubric");
    list.replaceChildren();
    for (const item of room.rubric) list.append(rubricRow(item));
    for (const card of room.cards) buildItems(card);
  }

  function rubricRow(item) {
    const row = el("li", { class: "item", "data-item": item.id });
    const key = el("kbd", { text: item.position <= 9 ? String(item.position) : "\u2013" });
    const points = el("span", { class: "item-points", text: signed(item.points) });
    const description = el("span", { class: "item-description", text: item.description });
    const edit = el("button", { type: "button", class: "small", text: "Edit" });
    const remove = el("button", { type: "button", class: "small", text: "Delete" });
    edit.setAttribute("aria-label", `Edit item ${item.position}`);
    remove.setAttribute("aria-label", `Delete item ${item.position}`);
    edit.addEventListener("click", () => row.replaceWith(rubricEditor(item)));
    remove.addEventListener("click", () => {
      // Two clicks: deleting an item changes the score of every answer it is applied to.
      if (remove.dataset.armed) {
        editItem(item, { deleted: true });
      } else {
        remove.dataset.armed = "1";
        remove.textContent = "Really delete?";
      }
    });
    row.append(key, " ", points, " ", description, " ", edit, " ", remove);
    return row;
  }

  function rubricEditor(item) {
    const form = el("form", { class: "item item-editor" });
    const points = el("input", { type: "number", step: "any", id: `edit-points-${item.id}`, required: "" });
    const description = el("input", { type: "text", id: `edit-description-${item.id}`, maxlength: "500",
      required: "" });
    points.value = num(item.points);
    description.value = item.description;
    const cancel = el("button", { type: "button", class: "small", text: "Cancel" });
    cancel.addEventListener("click", showRubric);
    form.append(el("label", { for: points.id, text: "Points" }), points,
      el("label", { for: description.id, text: "Description" }), description,
      el("button", { type: "submit", class: "small", text: "Save" }), cancel);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      editItem(item, { points: Number(points.value), description: description.value.trim() });
    });
    queueMicrotask(() => description.focus());
    return form;
  }

  async function editItem(item, change) {
    const r = await api(`/api/rubric/${item.id}`, Object.assign({ grader: room.grader }, change));
    if (r.status !== 200) {
      say(`Rubric item not changed: ${r.data.error}`);
      showRubric();
      return;
    }
    say(change.deleted ? `Item ${item.position} deleted.` : `Item ${item.position} changed.`);
    await refreshQuestion();  // scores of the answers it is applied to changed
  }

  $("new-item").addEventListener("submit", async (event) => {
    event.preventDefault();
    const points = $("new-item-points");
    const description = $("new-item-description");
    const text = description.value.trim();
    if (!text || points.value === "" || isNaN(Number(points.value))) {
      say("A rubric item needs points and a description.");
      return;
    }
    const qid = room.question.id;
    const r = await api(`${qPath(qid)}/rubric`, { grader: room.grader, points: Number(points.value),
      description: text });
    if (r.status !== 200) {
      say(`Rubric item not added: ${r.data.error}`);
      return;
    }
    if (!room.question || room.question.id !== qid) return;
    room.rubric = room.rubric.filter((item) => item.id !== r.data.id).concat([r.data])
      .sort((a, b) => a.position - b.position);
    showRubric();
    description.value = "";
    say(`Item ${r.data.position} added: press ${r.data.position <= 9 ? r.data.position : "its box"} to apply it.`);
  });

  // --- answer cards ------------------------------------------------------------------------------

  function makeCard(answer, index) {
    const card = { a: answer, index: index, queue: Promise.resolve(), expanded: false, history: null };
    const node = el("article", { class: "card", tabindex: "-1", "data-key": answer.key,
      "aria-labelledby": `label-${index}` });
    card.label = el("h3", { class: "label", id: `label-${index}` });
    card.where = el("span", { class: "where", text: answer.where || "" });
    card.changed = el("span", { class: "changed" });
    card.changed.hidden = true;
    card.score = el("span", { class: "score" });
    const head = el("header", { class: "card-head" }, card.label, card.where, card.changed, card.score);

    card.body = el("div", { class: "answer-body" });
    if (answer.empty) card.body.append(el("p", { class: "empty", text: answer.empty }));
    else card.body.innerHTML = answer.html;  // rendered and escaped by the server; the CSP blocks scripts too
    card.more = el("button", { type: "button", class: "more", text: `Show all ${answer.chars} characters` });
    card.more.hidden = !answer.truncated;
    card.more.addEventListener("click", () => expand(card));

    card.items = el("fieldset", { class: "items" });
    const cid = `comment-${index}`;
    const oid = `override-${index}`;
    card.comment = el("textarea", { id: cid, rows: "1", class: "comment" });
    card.override = el("input", { id: oid, type: "text", inputmode: "decimal", class: "override",
      autocomplete: "off" });
    const fields = el("div", { class: "fields" },
      el("label", { for: cid, text: "Comment" }), card.comment,
      el("label", { for: oid, text: "Override" }), card.override);
    card.msg = el("p", { class: "msg", role: "alert" });
    card.msg.hidden = true;
    card.historyList = el("ol", { class: "history-list" });
    const historyBox = el("section", { class: "history" }, el("h4", { text: "History" }), card.historyList);
    // grade keeps the first 20,000 characters of an answer: say so, or the grader grades a cut text as whole.
    const cut = el("p", { class: "cut", text: answer.written ? `The student wrote ${answer.written} characters; ` +
      `grade kept the first ${answer.chars}.` : "" });
    cut.hidden = !answer.written;
    card.stale = el("p", { class: "stale" },
      "This answer changed since it was graded (the submission was graded again): its grade is not counted " +
      "until you change it or ");
    const keep = el("button", { type: "button", class: "keep", text: "keep this grade" });
    keep.addEventListener("click", () => save(card, { keep: true }, "kept grade"));
    card.stale.append(keep);
    card.stale.hidden = true;
    node.append(head, card.stale, cut, card.body, card.more, card.items, fields, card.msg, historyBox);
    card.el = node;

    // A box saves against the version its grader saw when they began typing: another grader's change in
    // between makes it a conflict (409) rather than a silent overwrite of what they had not seen.
    card.comment.addEventListener("focus", () => { card.commentBase = card.a.state.version; });
    card.override.addEventListener("focus", () => { card.overrideBase = card.a.state.version; });
    card.comment.addEventListener("blur", () => saveComment(card));
    card.comment.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        saveComment(card);
      }
    });
    card.override.addEventListener("blur", () => saveOverride(card));
    card.override.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        node.focus({ preventScroll: true });  // blur saves
      }
    });
    buildItems(card);
    showLabel(card);
    showState(card);
    return card;
  }

  function showLabel(card) {
    const a = card.a;
    card.label.textContent = room.names && a.name ? a.name : a.label;
    card.label.title = room.names && a.name ? a.label : "";
  }

  function buildItems(card) {
    const box = card.items;
    box.replaceChildren(el("legend", { text: "Rubric" }));
    if (!room.rubric.length) {
      box.append(el("p", { class: "hint", text: "No rubric item yet: add one beside the question." }));
    }
    for (const item of room.rubric) {
      const id = `item-${card.index}-${item.id}`;
      const check = el("input", { type: "checkbox", id: id, "data-item": item.id });
      check.addEventListener("change", () => toggle(card, item, check.checked));
      const label = el("label", { for: id },
        el("kbd", { text: item.position <= 9 ? String(item.position) : "\u2013" }),
        ` ${signed(item.points)} `, el("span", { text: item.description }));
      box.append(el("div", { class: "check" }, check, label));
    }
    showItems(card);
  }

  function showItems(card) {
    const applied = new Set(card.a.state.items);
    for (const check of card.items.querySelectorAll("input[type=checkbox]")) {
      check.checked = applied.has(Number(check.dataset.item));
    }
  }

  function showState(card) {
    const s = card.a.state;
    const points = room.question.points;
    card.score.textContent = s.score === null || s.score === undefined
      ? "ungraded" : `${num(s.score)} / ${num(points)}${s.override !== null ? " (override)" : ""}`;
    card.el.classList.toggle("graded", !!s.graded);
    // A regrade changed the answer since it was graded: the grade is not counted until a grader looks again.
    card.stale.hidden = !s.stale;
    card.el.dataset.version = String(s.version);
    card.el.dataset.graded = s.graded ? "1" : "0";
    showItems(card);
    // A box the grader is typing in keeps their text; it is saved when they leave it.
    if (document.activeElement !== card.comment) card.comment.value = s.comment || "";
    if (document.activeElement !== card.override) {
      card.override.value = s.override === null || s.override === undefined ? "" : num(s.override);
    }
  }

  function showMessage(card, text) {
    card.msg.textContent = text;
    card.msg.hidden = !text;
  }

  function showChangedBy(card, grader) {
    card.changed.textContent = `changed by ${grader}`;
    card.changed.hidden = false;
  }

  function showHistory(card, changes) {
    card.history = changes;
    const list = card.historyList;
    list.replaceChildren();
    if (!changes.length) list.append(el("li", { class: "hint", text: "No change yet." }));
    for (const c of changes) {
      list.append(el("li", {},
        el("time", { datetime: c.at, text: when(c.at) }), " ",
        el("strong", { text: c.grader }), ` ${c.field}: `,
        el("span", { class: "before", text: c.before === "" ? "(empty)" : c.before }), " \u2192 ",
        el("span", { class: "after", text: c.after === "" ? "(empty)" : c.after })));
    }
  }

  function updateProgress() {
    const graded = room.cards.filter((card) => card.a.state.graded).length;
    $("progress").textContent = `${graded} / ${room.cards.length} graded`;
  }

  // --- saving --------------------------------------------------------------------------------------

  // One answer's saves run one after another, each with the version the previous one returned, so
  // quick keys on one answer never conflict with each other; another grader's change still does.
  function save(card, change, what) {
    const qid = room.question.id;
    const started = performance.now();
    card.queue = card.queue.then(async () => {
      const before = card.a.state.version;
      if (change.comment !== undefined && change.comment === card.a.state.comment) return;  // saved already
      const body = Object.assign({ grader: room.grader, version: before }, change);
      const r = await api(answerPath(qid, card.a.key), body);
      if (r.status === 200) {
        card.a.state = r.data;
        // Our own change does not make a box being typed in stale.
        if (card.commentBase === before) card.commentBase = r.data.version;
        if (card.overrideBase === before) card.overrideBase = r.data.version;
        showMessage(card, "");
      } else if (r.status === 409 && r.data.state) {
        card.a.state = r.data.state;
        const who = r.data.state.updated_by || "another grader";
        const lost = change.comment !== undefined ? ` (it was: "${change.comment}")`
          : change.override !== undefined ? ` (it was: ${change.override === null ? "none" : change.override})` : "";
        showMessage(card, `${who} changed this answer meanwhile, so your ${what} was not saved${lost}. ` +
          "This is their version now.");
        showChangedBy(card, who);
      } else {
        showMessage(card, `Not saved: ${r.data.error}`);
      }
      showState(card);
      updateProgress();
      if (card.index === room.focus) scheduleHistory(card);
      document.dispatchEvent(new CustomEvent("room:saved", {
        detail: { key: card.a.key, question: qid, status: r.status, ms: performance.now() - started },
      }));
    }).catch((err) => {
      showMessage(card, `Not saved (${err.message}); is the server still running?`);
      showItems(card);
    });
  }

  function toggle(card, item, applied) {
    if (!room.grader) {
      showItems(card);
      askName();
      return;
    }
    save(card, { item: item.id, applied: applied }, `item ${item.position}`);
  }

  function saveComment(card) {
    const text = card.comment.value;
    if (text === (card.a.state.comment || "")) return;
    save(card, { comment: text, version: baseVersion(card, "commentBase") }, "comment");
  }

  function saveOverride(card) {
    const raw = card.override.value.trim();
    const current = card.a.state.override;
    const value = raw === "" ? null : Number(raw);
    if (value !== null && (isNaN(value) || !isFinite(value))) {
      showMessage(card, `The override is a number of points (or empty for none), not "${raw}".`);
      return;
    }
    if (value === current || (value !== null && current !== null && Number(current) === value)) return;
    save(card, { override: value, version: baseVersion(card, "overrideBase") }, "override");
  }

  function baseVersion(card, field) {
    const base = card[field];
    card[field] = undefined;
    return base === undefined ? card.a.state.version : base;
  }

  async function expand(card) {
    card.more.disabled = true;
    const r = await api(answerPath(room.question.id, card.a.key));
    card.more.disabled = false;
    if (r.status !== 200) {
      showMessage(card, `Could not load the whole answer: ${r.data.error}`);
      return;
    }
    card.body.innerHTML = r.data.html;
    card.more.hidden = true;
    card.expanded = true;
    if (r.data.history) showHistory(card, r.data.history);
  }

  // --- focus and keys -------------------------------------------------------------------------------

  function visible(card) {
    return !card.el.hidden;
  }

  function firstVisible() {
    const card = room.cards.find(visible);
    return card ? card.index : -1;
  }

  function applyFilter() {
    for (const card of room.cards) {
      card.el.hidden = room.ungradedOnly && !!card.a.state.graded && card.index !== room.focus;
    }
    $("empty-list").hidden = room.cards.some(visible);
  }

  function focusCard(index) {
    if (index < 0 || index >= room.cards.length) return;
    const old = room.cards[room.focus];
    if (old && old.index !== index) old.el.classList.remove("focused");
    room.focus = index;
    const card = room.cards[index];
    card.el.classList.add("focused");
    if (!card.el.contains(document.activeElement)) card.el.focus({ preventScroll: true });
    card.el.scrollIntoView({ block: "nearest" });
    scheduleHistory(card);
  }

  function move(step) {
    if (!room.cards.length) return;
    let i = room.focus;
    do {
      i += step;
    } while (i >= 0 && i < room.cards.length &&
             room.ungradedOnly && room.cards[i].a.state.graded);
    if (i < 0 || i >= room.cards.length) {
      say(step > 0 ? "Last answer." : "First answer.");
      return;
    }
    const left = room.cards[room.focus];
    focusCard(i);
    if (left && room.ungradedOnly && left.a.state.graded) left.el.hidden = true;
  }

  function scheduleHistory(card) {
    clearTimeout(room.historyTimer);
    room.historyTimer = setTimeout(() => loadHistory(card), HISTORY_DELAY_MS);
  }

  async function loadHistory(card) {
    if (!room.question) return;
    const qid = room.question.id;
    const r = await api(`${answerPath(qid, card.a.key)}/history`);  // the trail and state, not the text again
    if (r.status !== 200 || !room.question || room.question.id !== qid) return;
    showHistory(card, r.data.history || []);
    if (r.data.state && r.data.state.version > card.a.state.version) {
      card.a.state = r.data.state;
      showState(card);
      updateProgress();
    }
  }

  function digitOf(event) {
    const code = /^(?:Digit|Numpad)([1-9])$/.exec(event.code || "");
    if (code) return Number(code[1]);
    if (/^[1-9]$/.test(event.key)) return Number(event.key);
    const shifted = SHIFTED_DIGITS.indexOf(event.key);
    return shifted >= 0 ? shifted + 1 : 0;
  }

  function keyItem(position, thenNext) {
    const card = room.cards[room.focus];
    const item = room.rubric.find((it) => it.position === position);
    if (!card) return;
    if (!item) {
      say(`No rubric item ${position} on this question.`);
      return;
    }
    const check = card.items.querySelector(`input[data-item="${item.id}"]`);
    if (thenNext) {
      if (!check.checked) {
        check.checked = true;
        toggle(card, item, true);
      }
      move(1);
    } else {
      check.checked = !check.checked;
      toggle(card, item, check.checked);
    }
  }

  function showKeys(open) {
    $("keys").hidden = !open;
    if (open) $("close-keys").focus();
    else focusCard(room.focus);
  }

  document.addEventListener("keydown", (event) => {
    if (!$("who").hidden) return;
    const target = event.target;
    if (event.key === "Escape") {
      if (!$("keys").hidden) showKeys(false);
      else if (isBox(target)) {
        target.blur();  // leaving the box saves it
        focusCard(room.focus);
      }
      return;
    }
    if (isBox(target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (!$("keys").hidden) {
      if (event.key === "?") showKeys(false);
      return;
    }
    const digit = digitOf(event);
    if (digit) {
      event.preventDefault();
      keyItem(digit, event.shiftKey || SHIFTED_DIGITS.includes(event.key));
      return;
    }
    const card = room.cards[room.focus];
    switch (event.key) {
      case "j": case "ArrowDown": move(1); break;
      case "k": case "ArrowUp": move(-1); break;
      case "c": if (card) card.comment.focus(); break;
      case "o": if (card) card.override.focus(); break;
      case "u": setUngradedOnly(!room.ungradedOnly); break;
      case "n": setNames(!room.names); break;
      case "[": openQuestion(room.qIndex - 1); break;
      case "]": openQuestion(room.qIndex + 1); break;
      case "?": showKeys(true); break;
      default: return;
    }
    event.preventDefault();  // no scrolling by arrows, no letter typed into the box c/o just focused
  });

  $("answers").addEventListener("focusin", (event) => {
    const node = event.target.closest(".card");
    if (!node) return;
    const card = room.byKey.get(node.dataset.key);
    if (card && card.index !== room.focus) focusCard(card.index);
  });
  function refuseLink(event) {
    const link = event.target.closest(".answer-body a, .question-text a");
    if (!link) return false;
    event.preventDefault();
    say(`Links in answers are not followed here; it points to: ${link.getAttribute("href") || "(nothing)"}`);
    return true;
  }
  $("question-text").addEventListener("click", refuseLink);
  $("answers").addEventListener("auxclick", refuseLink);  // a middle click would open it in a tab
  $("answers").addEventListener("click", (event) => {
    // A link a student wrote is never followed from the room: it would take this tab (and any comment being
    // typed) away to a page of the student's choosing. Its address is said instead.
    if (refuseLink(event)) return;
    const node = event.target.closest(".card");
    if (node && event.target === node) node.focus();
  });
  $("show-keys").addEventListener("click", () => showKeys(true));
  $("close-keys").addEventListener("click", () => showKeys(false));

  function setUngradedOnly(on) {
    room.ungradedOnly = on;
    $("toggle-ungraded").setAttribute("aria-pressed", String(on));
    applyFilter();
    const current = room.cards[room.focus];
    if (on && current && current.a.state.graded) {
      const next = room.cards.find((card) => !card.a.state.graded);
      if (next) focusCard(next.index);
      applyFilter();
    }
    say(on ? "Ungraded answers only." : "All answers.");
  }

  async function setNames(on) {
    room.names = on;
    $("toggle-names").setAttribute("aria-pressed", String(on));
    if (on && room.cards.some((card) => card.a.name === null || card.a.name === undefined)) {
      await refreshQuestion();
    } else {
      for (const card of room.cards) showLabel(card);
    }
    say(on ? "Names shown." : "Names hidden.");
  }
  $("toggle-ungraded").addEventListener("click", () => setUngradedOnly(!room.ungradedOnly));
  $("toggle-names").addEventListener("click", () => setNames(!room.names));

  // --- loading ------------------------------------------------------------------------------------

  async function fetchQuestion(qid) {
    return api(`${qPath(qid)}${room.names ? "?names=1" : ""}`);
  }

  async function openQuestion(index) {
    const questions = room.info.questions;
    if (index < 0 || index >= questions.length) {
      say(index < 0 ? "This is the first question." : "This is the last question.");
      return;
    }
    const load = ++room.load;
    say("Loading\u2026");
    const r = await fetchQuestion(questions[index].id);
    if (load !== room.load) return;
    if (r.status !== 200) {
      say(`Could not load the question: ${r.data.error}`);
      return;
    }
    room.qIndex = index;
    room.question = r.data.question;
    room.rubric = r.data.rubric.slice().sort((a, b) => a.position - b.position);
    room.cards = r.data.answers.map(makeCard);
    room.byKey = new Map(room.cards.map((card) => [card.a.key, card]));
    room.focus = -1;
    showQuestion();
    showRubric();
    $("answers").replaceChildren(...room.cards.map((card) => card.el));
    applyFilter();
    updateProgress();
    const first = room.ungradedOnly ? room.cards.find((card) => !card.a.state.graded) : room.cards[0];
    if (first) focusCard(first.index);
    applyFilter();
    say(`${room.question.title}: ${room.cards.length} answers.`);
    document.dispatchEvent(new CustomEvent("room:question", { detail: { question: room.question.id } }));
  }

  // Fetches the shown question again and updates its cards in place (rubric edits, names, others' changes).
  async function refreshQuestion() {
    if (!room.question) return;
    const qid = room.question.id;
    const load = room.load;
    const r = await fetchQuestion(qid);
    if (r.status !== 200 || load !== room.load) return;
    room.rubric = r.data.rubric.slice().sort((a, b) => a.position - b.position);
    for (const answer of r.data.answers) {
      const card = room.byKey.get(answer.key);
      if (!card) continue;
      card.a.name = answer.name;
      card.a.label = answer.label;
      const by = answer.state.updated_by;
      if (answer.state.version !== card.a.state.version && by && by !== room.grader) showChangedBy(card, by);
      card.a.state = answer.state;
      showLabel(card);
    }
    showRubric();
    for (const card of room.cards) showState(card);
    updateProgress();
  }

  async function poll() {
    try {
      const r = await api(`/api/changes?since=${room.seq === null ? 0 : room.seq}`);
      if (r.status === 200) {
        const first = room.seq === null;
        room.seq = r.data.seq;
        if (!first) await showChanges(r.data.changes);
        if ($("status").dataset.lost) {
          delete $("status").dataset.lost;
          say("Connected again.");
        }
      }
    } catch (err) {
      $("status").dataset.lost = "1";
      say("The server does not answer; trying again every 2 seconds.");
    }
    setTimeout(poll, POLL_MS);
  }

  async function showChanges(changes) {
    if (!room.question) return;
    const qid = room.question.id;
    let rubricChanged = false;
    const touched = new Map();  // key -> grader
    for (const c of changes) {
      if (c.question !== qid || c.grader === room.grader) continue;
      if (c.key) touched.set(c.key, c.grader);
      else rubricChanged = true;  // a change of no one answer: the rubric's items
    }
    if (rubricChanged) {
      await refreshQuestion();
      say("Another grader changed the rubric.");
    }
    for (const [key, grader] of touched) {
      const card = room.byKey.get(key);
      if (!card) continue;
      const r = await api(answerPath(qid, key));
      if (r.status !== 200 || !room.question || room.question.id !== qid) continue;
      if (r.data.state.version >= card.a.state.version) {
        card.a.state = r.data.state;
        showState(card);
      }
      showChangedBy(card, grader);
      if (card.index === room.focus) showHistory(card, r.data.history || []);
    }
    if (touched.size) updateProgress();
  }

  async function start() {
    const r = await api("/api/room");
    if (r.status !== 200) {
      say(`The room did not open: ${r.data.error}`);
      return;
    }
    room.info = r.data;
    if (r.data.grader) {  // a grader's own link: its name, not one typed here (nor one kept from before)
      room.grader = r.data.grader;
      room.linked = true;
      $("change-grader").hidden = true;
    }
    showName();  // only now: a link's name is known once the room has answered
    $("room-title").textContent = `Grading room: ${r.data.title || r.data.assignment}`;
    document.title = `Grading: ${r.data.title || r.data.assignment}`;
    const picker = $("question-picker");
    picker.replaceChildren(...r.data.questions.map((q) =>
      el("option", { value: q.id, text: `${q.number}. ${q.title} (${num(q.points)} pts)` })));
    picker.addEventListener("change", () => {
      openQuestion(r.data.questions.findIndex((q) => q.id === picker.value));
    });
    const wanted = decodeURIComponent((/#q=([^&]*)/.exec(location.hash) || ["", ""])[1]);
    const index = Math.max(0, r.data.questions.findIndex((q) => q.id === wanted));
    if (!r.data.questions.length) say("This assignment has no written question.");
    else await openQuestion(index);
    poll();
    if (!room.grader) askName();
  }

  start().catch((err) => say(`The room did not open: ${err.message}`));
})();
