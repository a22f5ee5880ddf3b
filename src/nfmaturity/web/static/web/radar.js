// Radar of the 8 capability domains; values are the engine's figures, already truncated to 2 decimals.
(function () {
  var node = document.getElementById("radar");
  var data = JSON.parse(document.getElementById("radar-data").textContent);
  if (!node || !window.echarts) return;
  var chart = echarts.init(node, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    tooltip: {},
    radar: {
      indicator: data.names.map(function (n) { return { name: n, max: 5 }; }),
      radius: "65%",
      axisName: { color: "#1d3557", fontSize: 13 },
      splitNumber: 5
    },
    series: [{
      type: "radar",
      areaStyle: { opacity: 0.2 },
      data: [{ value: data.values.map(Number), name: "能力域成熟度" }],
      label: { show: true, formatter: function (p) { return data.values[p.dimensionIndex]; } }
    }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
