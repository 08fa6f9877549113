// Progressive enhancement for the progress report form: autosave the draft through the API
// (PUT /api/v1/reports/{id}, same conventions as autosave.js). Without JavaScript the buttons save.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-autosave-url");
  var storeKey = "ami-report-" + form.getAttribute("data-report");
  var status = document.getElementById("autosave-status");
  var FIELDS = ["summary", "achievements", "difficulties", "next_steps", "data_ethics"];
  var messages = {};
  var tpl = document.getElementById("autosave-messages");
  if (tpl) {
    Array.prototype.forEach.call(tpl.content.querySelectorAll("[data-key]"), function (el) {
      messages[el.getAttribute("data-key")] = el.textContent;
    });
  }
  var timer = null;
  function snapshot() {
    var data = {};
    FIELDS.forEach(function (name) { data[name] = form.elements[name] ? form.elements[name].value : ""; });
    return data;
  }
  function say(text) { if (status) { status.textContent = text; } }
  function csrf() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  function save() {
    var data = snapshot();
    try { localStorage.setItem(storeKey, JSON.stringify(data)); } catch (e) { /* full */ }
    data.submit = false;
    fetch(url, {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: JSON.stringify(data)
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) { say(messages.expired || "Session"); return; }
      if (!response.ok) { say(messages.error || "Erreur"); return; }
      try { localStorage.removeItem(storeKey); } catch (e) { /* ignore */ }
      say((messages.saved || "Enregistré à") + " " + new Date().toLocaleTimeString());
    }).catch(function () { say(messages.error || "Erreur"); });
  }
  function schedule() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 1500);
  }
  form.addEventListener("input", schedule);
  form.addEventListener("submit", function () { if (timer) { clearTimeout(timer); } });
}());
