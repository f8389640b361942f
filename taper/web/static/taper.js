// The page's own script: tabs, focus after a form is redrawn, and aria-invalid on fields.
// No dosing logic here: every plan, problem and file comes from the server.
(function () {
  "use strict";

  // The page key (taper.web.session): in this answer's meta only when the page was opened with
  // the one-time code or the printed address; kept in sessionStorage, which only this origin
  // (port included) can read, unlike the cookie; sent with every request.
  var meta = document.querySelector('meta[name="taper-key"]');
  var key = meta ? meta.getAttribute("content") : "";
  try {
    if (key) { window.sessionStorage.setItem("taper-key", key); }
    else { key = window.sessionStorage.getItem("taper-key") || ""; }
  } catch (err) { /* storage refused: this load's key still works */ }
  if (meta) { meta.setAttribute("content", ""); }
  if (window.location.search) { window.history.replaceState(null, "", "/"); }
  var field = document.getElementById("taper-key");
  if (field) { field.value = key; }
  if (!key) {
    var warning = document.getElementById("no-key");
    if (warning) { warning.hidden = false; }
  }
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-Taper-Key"] = key;
  });
  var chosenTabs = {};  // tablist label -> selected tab id, kept across redraws

  function selectTab(tab, focus) {
    var list = tab.closest("[role=tablist]");
    list.querySelectorAll("[role=tab]").forEach(function (other) {
      var selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      other.tabIndex = selected ? 0 : -1;
      var panel = document.getElementById(other.getAttribute("aria-controls"));
      if (panel) { panel.hidden = !selected; }
    });
    chosenTabs[list.getAttribute("aria-label")] = tab.id;
    if (focus) { tab.focus(); }
  }

  document.addEventListener("click", function (event) {
    var tab = event.target.closest("[role=tab]");
    if (tab) { selectTab(tab, false); }
  });

  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest && event.target.closest("[role=tab]");
    if (!tab) { return; }
    var tabs = Array.prototype.slice.call(tab.closest("[role=tablist]").querySelectorAll("[role=tab]"));
    var index = tabs.indexOf(tab);
    var next = null;
    if (event.key === "ArrowRight") { next = tabs[(index + 1) % tabs.length]; }
    if (event.key === "ArrowLeft") { next = tabs[(index - 1 + tabs.length) % tabs.length]; }
    if (event.key === "Home") { next = tabs[0]; }
    if (event.key === "End") { next = tabs[tabs.length - 1]; }
    if (next) { event.preventDefault(); selectTab(next, true); }
  });

  // Between an edit and the server's answer the packet would not match the form: no download
  // until the answer has redrawn the buttons.
  document.addEventListener("input", function (event) {
    if (!event.target.closest || !event.target.closest("#form-body, #file-holder")) { return; }
    document.querySelectorAll("#download-buttons button, #packet-bar button").forEach(function (button) {
      button.disabled = true;
    });
    var status = document.getElementById("download-status");
    if (status) { status.textContent = "Checking the change…"; }
  });

  // Nothing is saved on this computer: ask before a reload or a closed tab loses the work.
  // (A download submits the form but leaves the page in place: no question then.)
  var edited = false;
  var submitting = false;
  var kept = ["patient.name", "patient.weight", "patient.height", "patient.language"];
  var editedBeyondPatient = false;  // a template keeps the patient's fields: only other edits
  document.addEventListener("input", function (event) {
    if (!event.target.closest || !event.target.closest("#form-body, #file-holder")) { return; }
    edited = true;
    if (kept.indexOf(event.target.name) < 0) { editedBeyondPatient = true; }
  });

  // Ask before an action throws work away: a template, a blank page or an opened file replace
  // an edited regimen; "Remove phase" always asks (data-confirm says what goes).
  var replacing = { "use-template": "Use this template? It replaces the regimen you have edited (the patient's name, weight and height are kept).",
    "start-blank": "Start blank? The regimen you have edited is thrown away.",
    "upload": "Open this file? It replaces the regimen you have edited.",
    "fhir-upload": "Start from this EHR order? It replaces the regimen you have edited." };
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    var lost = elt.id === "use-template" ? editedBeyondPatient : edited;
    var question = elt.getAttribute("data-confirm") || (lost ? replacing[elt.id] : "");
    if (!question) { return; }
    event.preventDefault();
    if (window.confirm(question)) { event.detail.issueRequest(true); }
    else if (elt.type === "file") { elt.value = ""; }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var id = event.detail.elt && event.detail.elt.id;
    if (event.detail.successful && replacing[id] && !document.querySelector("#template-error p, #fhir-error p")) {
      edited = false;
      editedBeyondPatient = false;
    }
  });

  // The dosing select is no field of the regimen: its change is an edit of its own (below),
  // never a form update that would race it.
  document.addEventListener("input", function (event) {
    if (event.target.classList && event.target.classList.contains("dosing-form")) {
      event.stopPropagation();
    }
  }, true);

  // "How it is dosed" is applied when it changes, after saying what it clears: the select
  // never shows one form while the plan uses another.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.classList || !select.classList.contains("dosing-form")) { return; }
    var current = Array.prototype.find.call(select.options, function (o) { return o.defaultSelected; });
    var phase = select.getAttribute("data-phase");
    var box = select.closest("fieldset.phase");
    var steps = box ? box.querySelectorAll("table.steps tbody tr").length : 0;
    var what = steps ? "its " + steps + " step" + (steps === 1 ? "" : "s") : "its dose, days and every";
    var question = "Dose phase " + phase + " as \u201c" + select.options[select.selectedIndex].text +
      "\u201d? This clears " + what + ".";
    if (window.confirm(question)) {
      document.getElementById(select.id + "-change").click();
    } else if (current) {
      select.value = current.value;
    }
  });
  document.addEventListener("submit", function () {
    submitting = true;
    window.setTimeout(function () { submitting = false; }, 2000);
  });
  window.addEventListener("beforeunload", function (event) {
    if (edited && !submitting) { event.preventDefault(); }
  });

  // The template's description follows the picker.
  document.addEventListener("change", function (event) {
    if (event.target.id !== "template") { return; }
    document.querySelectorAll("#template-about [data-template]").forEach(function (p) {  // one per template
      p.hidden = p.getAttribute("data-template") !== event.target.value;
    });
  });

  function markInvalid(root) {
    root.querySelectorAll(".field-error").forEach(function (box) {
      var bad = box.textContent.trim() !== "";
      document.querySelectorAll("[aria-describedby~='" + box.id + "']").forEach(function (field) {
        if (field.tagName === "FIELDSET") { return; }
        if (bad) { field.setAttribute("aria-invalid", "true"); }
        else { field.removeAttribute("aria-invalid"); }
      });
    });
  }

  // One short live message per answer: what an edit did, and the problem count when it
  // changed (the problem list itself is not live: it would be re-read after every pause).
  var firstCount = document.getElementById("bar-count");
  var lastCount = firstCount ? firstCount.textContent.trim() : "";
  var notices = ["form-lock-reason", "template-error", "fhir-error", "comment-note"];
  var lastNotice = {};
  document.addEventListener("htmx:beforeRequest", function () {
    var announce = document.getElementById("announce");
    if (announce) { announce.textContent = ""; }
  });

  document.addEventListener("htmx:afterSettle", function () {
    markInvalid(document);
    // While the regimen file cannot be read, the form is read-only (the reason is at its top):
    // an edit made in it would be lost when the file is fixed.
    var lock = document.getElementById("form-lock");
    var reason = document.getElementById("form-lock-reason");
    if (lock && reason) { lock.disabled = reason.textContent.trim() !== ""; }
    var count = document.getElementById("bar-count");
    var announce = document.getElementById("announce");
    if (count && announce) {
      var said = count.textContent.trim();
      if (said !== lastCount) {
        announce.textContent = (announce.textContent.trim() + " " + said).trim();
        lastCount = said;
      }
      // The notices are redrawn with every answer: only a new one is said, once.
      notices.forEach(function (id) {
        var box = document.getElementById(id);
        var text = box ? box.textContent.trim() : "";
        if (text && text !== lastNotice[id]) {
          announce.textContent = (announce.textContent.trim() + " " + text).trim();
        }
        lastNotice[id] = text;
      });
    }
    Object.keys(chosenTabs).forEach(function (label) {
      var tab = document.getElementById(chosenTabs[label]);
      if (tab && tab.getAttribute("aria-selected") !== "true") { selectTab(tab, false); }
    });
    var wanted = document.querySelector("#form-body [autofocus]");
    if (wanted) {
      wanted.removeAttribute("autofocus");
      wanted.focus();
    }
    window.taperUpdates = (window.taperUpdates || 0) + 1;
  });
})();
