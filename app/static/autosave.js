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
    data.answers = answers();
    return data;
  }
  // The call's own questions: fields named "answers.<key>" (checkboxes make a list, radios and the
  // hidden marker before them one value; "" clears the answer).
  function answers() {
    var found = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name.indexOf("answers.") !== 0) { return; }
      var key = el.name.slice(8);
      var item = found[key] || (found[key] = { multi: false, values: [] });
      if (el.type === "checkbox") { item.multi = true; if (el.checked) { item.values.push(el.value); } }
      else if (el.type === "radio") { if (el.checked) { item.values.push(el.value); } }
      else if (el.value !== "" || el.type !== "hidden") { item.values.push(el.value); }
    });
    var result = {};
    Object.keys(found).forEach(function (key) {
      var item = found[key];
      result[key] = item.multi ? item.values : (item.values.filter(function (v) { return v !== ""; })[0] || "");
    });
    return result;
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
      organisation: { name: data.org_name, siren: data.org_siren, ror: data.org_ror },
      answers: data.answers || {}
    };
    if (amount === "") { body.requested_amount = null; }
    else if (/^\d+$/.test(amount)) { body.requested_amount = parseInt(amount, 10); }
    else { body.requested_amount = data.requested_amount; }  // kept as typed by the server, with its error
    return body;
  }
  // The browser copy remembers which server revision it was typed over: it is newer than the server's
  // draft only while that revision is still the server's (a save since then makes it stale).
  var revision = parseInt(form.getAttribute("data-revision") || "0", 10);
  function keep() {
    try {
      localStorage.setItem(storeKey, JSON.stringify({ at: Date.now(), revision: revision, data: snapshot() }));
    } catch (e) { /* full */ }
  }
  function save() {
    keep();
    fetch(url, {
      method: "PATCH", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: JSON.stringify(payload(snapshot()))
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) {
        say(messages.expired || "Session expirée", true);
        return null;
      }
      if (!response.ok) { say(messages.error || "Erreur"); return null; }
      return response.json().then(function (body) {
        if (typeof body.revision === "number") { revision = body.revision; }
        try { localStorage.removeItem(storeKey); } catch (e) { /* ignore */ }
        var time = new Date().toLocaleTimeString();
        if (body.errors && body.errors.length) {
          say((messages.invalid || "{time}").replace("{time}", time));
        } else {
          say((messages.saved || "Enregistré à") + " " + time);
        }
      });
    }).catch(function () { say(messages.error || "Erreur"); });
  }
  function schedule() {
    keep();
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 1500);
  }
  function labelsOf(data) { return (data.labels || []).slice().sort().join("\n"); }
  function restore(kept) {
    FIELDS.forEach(function (name) {
      if (form.elements[name] && typeof kept.data[name] === "string") { form.elements[name].value = kept.data[name]; }
    });
    if (Array.isArray(kept.data.labels)) {
      Array.prototype.forEach.call(form.querySelectorAll("input[name=labels]"), function (el) {
        el.checked = kept.data.labels.indexOf(el.value) !== -1;
      });
    }
    say(messages.restored || "Texte restauré");
    schedule();
  }
  function offer(kept) {
    say(messages.newer || "Texte plus récent dans ce navigateur.");
    [["restore", function () { restore(kept); }],
     ["discard", function () {
       try { localStorage.removeItem(storeKey); } catch (e) { /* ignore */ }
       say("");
     }]].forEach(function (pair) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-button autosave-" + pair[0];
      button.textContent = messages[pair[0]] || pair[0];
      button.addEventListener("click", pair[1]);
      status.appendChild(document.createTextNode(" "));
      status.appendChild(button);
    });
  }
  // Text kept from an expired session or a failed save: offered back, never put in silently.
  try {
    var kept = JSON.parse(localStorage.getItem(storeKey) || "null");
    var current = snapshot();
    var newer = kept && kept.data && typeof kept.revision === "number" && kept.revision >= revision;
    var differs = newer && (labelsOf(kept.data) !== labelsOf(current) || FIELDS.some(function (name) {
      return typeof kept.data[name] === "string" && kept.data[name] !== current[name];
    }));
    if (differs && status) { offer(kept); } else if (kept) { localStorage.removeItem(storeKey); }
  } catch (e) { /* ignore */ }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", function () {
    if (timer) { clearTimeout(timer); }
    keep();
  });
})();
