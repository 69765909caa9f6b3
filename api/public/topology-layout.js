// The topology page's layout: a deterministic force-directed placement (Fruchterman–Reingold) in plain JavaScript.

/**
 * Positions for `nodes` (`{ id }`) joined by `links` (`{ source, target }`) inside `width` × `height`: nodes start on
 * a circle in their given order and settle under repulsion between every pair and attraction along links, with
 * cooling; the same graph always gets the same picture. Over `maxForceNodes` nodes the circle is kept (the pairwise
 * forces cost n²). Returns a Map of id → `{ x, y }`.
 */
export function layoutGraph(
  nodes,
  links,
  { width = 900, height = 600, iterations = 300, maxForceNodes = 300, gravity = 1 } = {},
) {
  const margin = 30;
  const count = Math.max(nodes.length, 1);
  const positions = new Map();
  nodes.forEach((node, index) => {
    const angle = (2 * Math.PI * index) / count;
    const radius = Math.min(width, height) * 0.38;
    positions.set(node.id, { x: width / 2 + radius * Math.cos(angle), y: height / 2 + radius * Math.sin(angle) });
  });
  if (nodes.length < 2 || nodes.length > maxForceNodes) return positions;
  const ideal = Math.sqrt((width * height) / count) * 0.55;
  const edges = links.filter((link) => positions.has(link.source) && positions.has(link.target));
  // The centre's pull, scaled so a node the whole graph pushes away settles about `reach` from the centre.
  const reach = Math.min(width, height) * 0.4;
  const pull = (gravity * count * ideal * ideal) / (reach * reach);
  let temperature = width / 8;
  for (let step = 0; step < iterations; step++) {
    const moves = new Map(nodes.map((node) => [node.id, { x: 0, y: 0 }]));
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) {
        const a = positions.get(nodes[i].id);
        const b = positions.get(nodes[j].id);
        let dx = a.x - b.x;
        let dy = a.y - b.y;
        let distance = Math.hypot(dx, dy);
        if (distance < 0.01) {
          dx = 0.01 * (i - j);
          dy = 0.01;
          distance = Math.hypot(dx, dy);
        }
        const force = (ideal * ideal) / distance;
        const moveA = moves.get(nodes[i].id);
        const moveB = moves.get(nodes[j].id);
        moveA.x += (dx / distance) * force;
        moveA.y += (dy / distance) * force;
        moveB.x -= (dx / distance) * force;
        moveB.y -= (dy / distance) * force;
      }
    }
    for (const link of edges) {
      const a = positions.get(link.source);
      const b = positions.get(link.target);
      const dx = a.x - b.x;
      const dy = a.y - b.y;
      const distance = Math.max(Math.hypot(dx, dy), 0.01);
      const force = (distance * distance) / ideal;
      const moveA = moves.get(link.source);
      const moveB = moves.get(link.target);
      moveA.x -= (dx / distance) * force;
      moveA.y -= (dy / distance) * force;
      moveB.x += (dx / distance) * force;
      moveB.y += (dy / distance) * force;
    }
    for (const node of nodes) {
      const move = moves.get(node.id);
      const position0 = positions.get(node.id);
      // A pull to the centre keeps parts of the graph that are not linked from drifting to the edges.
      move.x += (width / 2 - position0.x) * pull;
      move.y += (height / 2 - position0.y) * pull;
      const length = Math.max(Math.hypot(move.x, move.y), 0.01);
      const position = positions.get(node.id);
      position.x = Math.min(
        width - margin,
        Math.max(margin, position.x + (move.x / length) * Math.min(length, temperature)),
      );
      position.y = Math.min(
        height - margin,
        Math.max(margin, position.y + (move.y / length) * Math.min(length, temperature)),
      );
    }
    temperature *= 0.97;
  }
  return positions;
}
