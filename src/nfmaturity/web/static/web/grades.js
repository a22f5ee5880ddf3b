// Grade distribution bar chart (counts of enterprises per grade).
(function () {
  var node = document.getElementById("grades");
  if (!node || !window.echarts) return;
  // "一级 规范级" on two lines: seven labels on one line each overlapped at phone width.
  var labels = JSON.parse(document.getElementById("grade-labels").textContent).map(function (label) {
    return label.replace(" ", "\n");
  });
  var counts = JSON.parse(document.getElementById("grade-counts").textContent);
  var chart = echarts.init(node, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    grid: { left: 40, right: 20, top: 20, bottom: 48 },
    tooltip: {},
    xAxis: { type: "category", data: labels, axisLabel: { interval: 0, fontSize: 11, lineHeight: 16 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", data: counts, label: { show: true, position: "top" }, itemStyle: { color: "#206bc4" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
