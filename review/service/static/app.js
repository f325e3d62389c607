// The review page: clicking (or Enter on) a highlighted passage shows its flag card, and the other way
// round; the reason field is marked required where the server will insist on it.
(function () {
  function activate(id) {
    document.querySelectorAll(".active").forEach(function (el) { el.classList.remove("active"); });
    document.querySelectorAll('[data-flag="' + id + '"]').forEach(function (el) { el.classList.add("active"); });
  }
  document.querySelectorAll("mark.flag").forEach(function (mark) {
    function show() {
      activate(mark.dataset.flag);
      var card = document.getElementById("flag-" + mark.dataset.flag);
      if (card) { card.scrollIntoView({ block: "nearest", behavior: "smooth" }); }
    }
    mark.addEventListener("click", show);
    mark.addEventListener("keydown", function (event) { if (event.key === "Enter") { show(); } });
  });
  document.querySelectorAll(".flags .card").forEach(function (card) {
    card.addEventListener("click", function () {
      activate(card.dataset.flag);
      var mark = document.querySelector('mark.flag[data-flag="' + card.dataset.flag + '"]');
      if (mark) { mark.scrollIntoView({ block: "nearest", behavior: "smooth" }); }
    });
  });
  var attribute = document.getElementById("attribute");
  var reason = document.getElementById("reason");
  var suggested = document.getElementById("suggested");
  if (attribute && reason) {
    var update = function () {
      var value = attribute.value;
      reason.required = value === "on_request" || value === "withheld" ||
        value !== (suggested ? suggested.dataset.value : "");
    };
    attribute.addEventListener("change", update);
    update();
  }
})();
