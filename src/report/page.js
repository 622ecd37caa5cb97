// The script of the run report and the coverage pages: selecting a row
// highlights what it names in the flow picture.
// - Run report: a step row (`tr.step`) selects its node; a node selects its
//   first step. `?step=N` or `#step-N` selects step N on load.
// - Coverage page: a branch row (`tr.branch`) selects its edge and label.
//   `?branch=N` or `#branch-N` selects row N on load.
// The browser tests drive both through those addresses.
(function () {
  function clear() {
    document.querySelectorAll('.selected').forEach(function (e) { e.classList.remove('selected'); });
  }
  function selectStep(step) {
    var row = document.getElementById('step-' + step);
    if (!row) { return; }
    clear();
    row.classList.add('selected');
    var node = document.getElementById(row.getAttribute('data-target'));
    if (node) {
      node.classList.add('selected');
      if (node.scrollIntoView) { node.scrollIntoView({ block: 'center', inline: 'center' }); }
    }
    document.body.setAttribute('data-selected-step', String(step));
    document.body.setAttribute('data-selected-node', row.getAttribute('data-node'));
  }
  function selectBranch(k) {
    var row = document.getElementById('branch-' + k);
    if (!row) { return; }
    clear();
    row.classList.add('selected');
    ['edge-', 'label-'].forEach(function (p) {
      var e = document.getElementById(p + k);
      if (e) { e.classList.add('selected'); }
    });
    document.body.setAttribute('data-selected-branch', String(k));
  }
  function rows(selector, attribute, select) {
    document.querySelectorAll(selector).forEach(function (row) {
      row.addEventListener('click', function () { select(row.getAttribute(attribute)); });
      row.addEventListener('keydown', function (e) { if (e.key === 'Enter') { select(row.getAttribute(attribute)); } });
    });
  }
  function onLoad(name, select) {
    var wanted = new URLSearchParams(window.location.search).get(name);
    var hash = new RegExp('^#' + name + '-(\\d+)$').exec(window.location.hash);
    if (wanted === null && hash) { wanted = hash[1]; }
    if (wanted !== null) { select(wanted); }
  }
  rows('tr.step', 'data-step', selectStep);
  rows('tr.branch', 'data-edge', selectBranch);
  document.querySelectorAll('.flow .node').forEach(function (node) {
    node.addEventListener('click', function () {
      var first = document.querySelector('tr.step[data-target="' + node.id + '"]');
      if (first) { selectStep(first.getAttribute('data-step')); }
    });
  });
  onLoad('step', selectStep);
  onLoad('branch', selectBranch);
})();
