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
    document.querySelectorAll("#download-buttons button").forEach(function (button) {
      button.disabled = true;
    });
    var status = document.getElementById("download-status");
    if (status) { status.textContent = "Checking the change…"; }
  });

  // Nothing is saved on this computer: ask before a reload or a closed tab loses the work.
  // (A download submits the form but leaves the page in place: no question then.)
  var edited = false;
  var submitting = false;
  document.addEventListener("input", function () { edited = true; });
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

  document.addEventListener("htmx:afterSettle", function () {
    markInvalid(document);
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
