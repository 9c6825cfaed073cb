"use strict";
(function () {
  var table = document.getElementById("vendors");
  var groups = Array.prototype.slice.call(table.tBodies);
  var order = new Map(groups.map(function (g, i) { return [g, i]; }));  // ties keep the file's order
  var primaryButtons = Array.prototype.slice.call(document.querySelectorAll("#primary-filter button"));
  var findingSelect = document.getElementById("finding-filter");
  var search = document.getElementById("search");
  var state = { primary: "", finding: "", q: "", sort: "", dir: "asc" };

  function count(test) { return groups.filter(test).length; }

  function summarize() {
    var items = [["vendors", groups.length]];
    ["BPO", "KPO", "LPO", "ITO"].forEach(function (label) {
      items.push(["primarily " + label, count(function (g) { return g.dataset.primary === label; })]);
    });
    items.push(["offer none of the four", count(function (g) { return g.dataset.primary === "none"; })]);
    items.push(["claim and offering part", count(function (g) { return g.dataset.mismatch === "1"; })]);
    items.push(["could not be scanned", count(function (g) { return g.dataset.primary === "error"; })]);
    var list = document.getElementById("summary");
    items.forEach(function (item) {
      var li = document.createElement("li");
      var b = document.createElement("b");
      b.textContent = String(item[1]);
      li.appendChild(b);
      li.appendChild(document.createTextNode(item[0]));
      list.appendChild(li);
    });
    primaryButtons.forEach(function (button) {
      var value = button.dataset.value;
      button.querySelector(".n").textContent = String(value ? count(function (g) { return g.dataset.primary === value; }) : groups.length);
    });
  }

  function matches(g) {
    if (state.primary && g.dataset.primary !== state.primary) return false;
    if (state.finding === "mismatch" && g.dataset.mismatch !== "1") return false;
    if (state.finding && state.finding !== "mismatch" && g.dataset.finding !== state.finding) return false;
    if (state.q && g.dataset.search.indexOf(state.q.toLowerCase()) < 0) return false;
    return true;
  }

  function sortValue(g, key, type) {
    var value = g.dataset[key.toLowerCase()] || "";
    return type === "num" ? parseFloat(value) || 0 : value;
  }

  function apply() {
    var shown = 0;
    groups.forEach(function (g) { var ok = matches(g); g.hidden = !ok; if (ok) shown += 1; });
    document.getElementById("shown").textContent = "Showing " + shown + " of " + groups.length + " vendors";
    document.getElementById("empty").hidden = shown > 0;
    primaryButtons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.value === state.primary)); });
    findingSelect.value = state.finding;
    if (search.value !== state.q) search.value = state.q;
    var headers = Array.prototype.slice.call(table.tHead.querySelectorAll("th[data-key]"));
    headers.forEach(function (th) { th.removeAttribute("aria-sort"); });
    if (state.sort) {
      var th = table.tHead.querySelector('th[data-key="' + state.sort + '"]');
      var type = th ? th.dataset.type : "text";
      var sign = state.dir === "desc" ? -1 : 1;
      var sorted = groups.slice().sort(function (a, b) {
        var x = sortValue(a, state.sort, type), y = sortValue(b, state.sort, type);
        return (x < y ? -1 : x > y ? 1 : 0) * sign || order.get(a) - order.get(b);
      });
      sorted.forEach(function (g) { table.appendChild(g); });
      if (th) th.setAttribute("aria-sort", state.dir === "desc" ? "descending" : "ascending");
    }
    var params = new URLSearchParams();
    Object.keys(state).forEach(function (key) { if (state[key] && !(key === "dir" && !state.sort)) params.set(key, state[key]); });
    try { history.replaceState(null, "", "#" + params.toString()); } catch (e) { /* some file: viewers forbid it */ }
  }

  function readHash() {
    var params = new URLSearchParams(location.hash.slice(1));
    Object.keys(state).forEach(function (key) { if (params.has(key)) state[key] = params.get(key); });
    if (params.get("open") === "all") setAll(true);
  }

  function setOpen(g, open) {
    g.querySelector("tr.detail").hidden = !open;
    g.querySelector("tr.main .toggle").setAttribute("aria-expanded", String(open));
  }

  function setAll(open) {
    groups.forEach(function (g) { setOpen(g, open); });
    var all = document.getElementById("expand-all");
    all.setAttribute("aria-expanded", String(open));
    all.textContent = open ? "Hide all evidence" : "Show all evidence";
  }

  primaryButtons.forEach(function (button) {
    button.addEventListener("click", function () { state.primary = button.dataset.value; apply(); });
  });
  findingSelect.addEventListener("change", function () { state.finding = findingSelect.value; apply(); });
  search.addEventListener("input", function () { state.q = search.value.trim(); apply(); });
  table.tHead.addEventListener("click", function (event) {
    var th = event.target.closest("th[data-key]");
    if (!th) return;
    var key = th.dataset.key;
    if (state.sort === key) { state.dir = state.dir === "asc" ? "desc" : "asc"; }
    else { state.sort = key; state.dir = th.dataset.type === "num" ? "desc" : "asc"; }
    apply();
  });
  table.addEventListener("click", function (event) {
    var button = event.target.closest("tr.main .toggle");
    if (!button) return;
    setOpen(button.closest("tbody"), button.getAttribute("aria-expanded") !== "true");
  });
  document.getElementById("expand-all").addEventListener("click", function () {
    setAll(this.getAttribute("aria-expanded") !== "true");
  });

  var controls = document.querySelector(".controls");
  document.documentElement.style.setProperty("--controls-height", controls.offsetHeight + "px");
  summarize();
  readHash();
  apply();
  document.documentElement.dataset.ready = "1";
})();
