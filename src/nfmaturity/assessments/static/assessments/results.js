// Results page: the domain radar. Values are the page's own figures, already truncated to two decimals.
// Labels must stay inside the chart on a phone: the radius shrinks with the width and long names wrap
// ("数字化" on its own line), so ECharts lays the radar out around the wrapped names.
(function () {
  var node = document.getElementById("radar");
  var source = document.getElementById("radar-data");
  if (!node || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(node, null, { renderer: "svg" });

  function wrap(name) {
    if (name.length <= 4) return name;
    var cut = name.indexOf("数字化") === 0 ? 3 : Math.ceil(name.length / 2);
    return name.slice(0, cut) + "\n" + name.slice(cut);
  }

  function options() {
    var narrow = node.clientWidth < 480;
    return {
      animation: false,
      tooltip: { confine: true },
      radar: {
        indicator: data.names.map(function (n) { return { name: n, max: 5 }; }),
        center: ["50%", "52%"],
        radius: narrow ? "60%" : "66%",
        axisName: {
          color: "#1d3557",
          fontSize: narrow ? 11 : 13,
          formatter: function (name) { return narrow ? wrap(name) : name; }
        },
        nameGap: narrow ? 6 : 12,
        splitNumber: 5
      },
      series: [{
        type: "radar",
        areaStyle: { opacity: 0.2 },
        data: [{ value: data.values.map(Number), name: "能力域成熟度" }],
        label: {
          show: !narrow,
          formatter: function (p) { return data.values[p.dimensionIndex]; }
        }
      }]
    };
  }

  chart.setOption(options());
  window.addEventListener("resize", function () {
    chart.setOption(options());
    chart.resize();
  });
})();
