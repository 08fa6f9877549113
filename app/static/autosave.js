// Progressive enhancement for the application form: autosave through the API, and never lose text.
// Without JavaScript the form still saves with its buttons.
(function () {
  "use strict";
  var form = document.getElementById("application-form");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-autosave-url");
  var storeKey = "ami-draft-" + form.getAttribute("data-application");
  var status = document.getElementById("autosave-status");
  var messages = {};
  var tpl = document.getElementById("autosave-messages");
  if (tpl) {
    Array.prototype.forEach.call(tpl.content.querySelectorAll("[data-key]"), function (el) {
      messages[el.getAttribute("data-key")] = el.textContent;
    });
  }
  var timer = null;
  var FIELDS = ["title", "public_title", "public_summary", "description", "requested_amount",
                "repositories", "licence", "org_name", "org_siren", "org_ror"];

  function value(name) {
    var el = form.elements[name];
    return el ? el.value : "";
  }
  function snapshot() {
    var data = {};
    FIELDS.forEach(function (name) { data[name] = value(name); });
    data.labels = Array.prototype.filter.call(form.querySelectorAll("input[name=labels]"),
      function (el) { return el.checked; }).map(function (el) { return el.value; });
    return data;
  }
  function say(text, link) {
    if (!status) { return; }
    status.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = "/login?next=" + encodeURIComponent(location.pathname);
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = " " + (messages.login || "Se reconnecter");
      status.appendChild(a);
    }
  }
  function csrf() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  function payload(data) {
    var amount = data.requested_amount.replace(/[\s\u202f\u00a0€]/g, "");
    var body = {
      title: data.title, public_title: data.public_title, public_summary: data.public_summary,
      description: data.description, licence: data.licence, labels: data.labels,
      repositories: data.repositories.split(/\r?\n/).map(function (s) { return s.trim(); })
        .filter(function (s) { return s; }),
      organisation: { name: data.org_name, siren: data.org_siren, ror: data.org_ror }
    };
    if (amount === "") { body.requested_amount = null; }
    else if (/^-?\d+$/.test(amount)) { body.requested_amount = parseInt(amount, 10); }
    return body;
  }
  function save() {
    var data = snapshot();
    try { localStorage.setItem(storeKey, JSON.stringify({ at: Date.now(), data: data })); } catch (e) { /* full */ }
    fetch(url, {
      method: "PATCH", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: JSON.stringify(payload(data))
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) {
        say(messages.expired || "Session expirée", true);
        return;
      }
      if (response.ok) {
        try { localStorage.removeItem(storeKey); } catch (e) { /* ignore */ }
        say((messages.saved || "Enregistré à") + " " + new Date().toLocaleTimeString());
        return;
      }
      // 422: a field is invalid; the text stays here and the buttons show the error beside the field.
      say(messages.error || "Erreur");
    }).catch(function () { say(messages.error || "Erreur"); });
  }
  function schedule() {
    try { localStorage.setItem(storeKey, JSON.stringify({ at: Date.now(), data: snapshot() })); } catch (e) { /* full */ }
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 1500);
  }
  // Text kept from an expired session comes back into the form.
  try {
    var kept = JSON.parse(localStorage.getItem(storeKey) || "null");
    var differs = kept && kept.data && FIELDS.some(function (name) {
      return typeof kept.data[name] === "string" && kept.data[name] !== value(name);
    });
    if (kept && !differs) { localStorage.removeItem(storeKey); }
    if (differs) {
      FIELDS.forEach(function (name) {
        if (form.elements[name] && typeof kept.data[name] === "string") { form.elements[name].value = kept.data[name]; }
      });
      say(messages.restored || "Texte restauré");
    }
  } catch (e) { /* ignore */ }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", function () {
    if (timer) { clearTimeout(timer); }
    try { localStorage.setItem(storeKey, JSON.stringify({ at: Date.now(), data: snapshot() })); } catch (e) { /* full */ }
  });
})();
