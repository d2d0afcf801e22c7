/**
 * One simulated retail enterprise, generated from a seed so that every system's slice agrees:
 * the ERP's orders are Salesforce's orders, the payment provider holds their charges and the
 * warehouse their shipments. Same seed and base date → same world.
 */
export interface WorldRegion { code: string; name: string; currency: string }
export interface WorldStore { storeId: string; name: string; region: string; warehouseId: string }
export interface WorldCustomer {
  customerId: string;
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  segment: 'standard' | 'loyalty-silver' | 'loyalty-gold' | 'employee';
  region: string;
  homeStoreId: string;
}
export interface WorldProduct { sku: string; name: string; family: string; unitPrice: number; currency: string; returnable: boolean }
export interface WorldStock { sku: string; warehouseId: string; onHand: number; reserved: number }
export interface WorldOrderLine { lineNumber: number; sku: string; quantity: number; unitPrice: number }
export type WorldOrderStatus = 'created' | 'allocated' | 'shipped' | 'delivered' | 'cancelled';
export interface WorldOrder {
  orderNumber: string;
  customerId: string;
  storeId: string;
  region: string;
  channel: 'web' | 'store' | 'call-center' | 'marketplace';
  currency: string;
  placedAt: string;
  status: WorldOrderStatus;
  lines: WorldOrderLine[];
  total: number;
  paymentId: string;
  shipmentId?: string;
  trackingNumber?: string;
  carrier?: string;
}
export interface WorldPayment { paymentId: string; orderNumber: string; customerId: string; amount: number; currency: string; capturedAt: string; settledAt?: string; method: 'card' | 'paypal' | 'gift-card' }
export type WorldMilestone = 'label_created' | 'picked_up' | 'in_transit' | 'out_for_delivery' | 'delivered' | 'exception';
export interface WorldShipment {
  shipmentId: string;
  orderNumber: string;
  warehouseId: string;
  carrier: string;
  trackingNumber: string;
  shippedAt: string;
  milestones: { code: WorldMilestone; at: string; location: string }[];
}
export interface WorldCase {
  caseNumber: string;
  orderNumber: string;
  customerId: string;
  subject: string;
  reason: 'delayed-shipment' | 'damaged-item' | 'wrong-item' | 'not-received';
  status: 'New' | 'Working';
  openedAt: string;
}
/** Salesforce users who work cases: agents (no approval limit), supervisors (a limit in their currency), one who left. */
export interface WorldUser {
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  title: 'Service Agent' | 'Service Supervisor' | 'Integration';
  active: boolean;
  currency: string;
  /** Minor units; absent = may not approve refunds. */
  refundApprovalLimit?: number;
}
export interface World {
  seed: number;
  baseDate: string;
  regions: WorldRegion[];
  stores: WorldStore[];
  warehouses: { warehouseId: string; region: string; name: string }[];
  customers: WorldCustomer[];
  products: WorldProduct[];
  stock: WorldStock[];
  orders: WorldOrder[];
  payments: WorldPayment[];
  shipments: WorldShipment[];
  cases: WorldCase[];
  users: WorldUser[];
}

export interface WorldOptions {
  seed?: number;
  /** Orders are placed in the 60 days before this date (default: today, UTC midnight). */
  baseDate?: Date;
  customers?: number;
  orders?: number;
  cases?: number;
}

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ava', 'Liam', 'Maya', 'Noah', 'Zoe', 'Ethan', 'Lena', 'Omar', 'Iris', 'Jonas', 'Sofia', 'Mateo', 'Hana', 'Lucas', 'Nora', 'Ravi', 'Elif', 'Tom', 'Aiko', 'Sam'];
const LAST = ['Garcia', 'Smith', 'Müller', 'Rossi', 'Tanaka', 'Okafor', 'Nguyen', 'Silva', 'Kowalski', 'Larsen', 'Patel', 'Dubois', 'Kim', 'Haddad', 'Brown', 'Novak'];
const FAMILIES: [string, string[], [number, number]][] = [
  ['Footwear', ['Trail Runner', 'City Sneaker', 'Hiking Boot', 'Sandal'], [4900, 18900]],
  ['Apparel', ['Rain Jacket', 'Merino Sweater', 'Chino Pants', 'Linen Shirt'], [2900, 24900]],
  ['Home', ['Cast Iron Pan', 'Chef Knife', 'Espresso Maker', 'Duvet Cover'], [1900, 39900]],
  ['Electronics', ['Wireless Earbuds', 'Smart Speaker', 'E-Reader', 'Action Camera'], [5900, 44900]],
  ['Outdoor', ['Tent 2P', 'Sleeping Bag', 'Headlamp', 'Trekking Poles'], [1500, 32900]],
];
const COLORS = ['Black', 'Navy', 'Olive', 'Sand'];
const REGIONS: WorldRegion[] = [
  { code: 'NA-EAST', name: 'North America East', currency: 'USD' },
  { code: 'NA-WEST', name: 'North America West', currency: 'USD' },
  { code: 'EU-CENTRAL', name: 'Europe Central', currency: 'EUR' },
  { code: 'UK', name: 'United Kingdom', currency: 'GBP' },
];
const CITIES: Record<string, string[]> = {
  'NA-EAST': ['Boston', 'New York', 'Philadelphia', 'Atlanta', 'Toronto'],
  'NA-WEST': ['Seattle', 'Portland', 'San Francisco', 'Denver', 'Los Angeles'],
  'EU-CENTRAL': ['Berlin', 'Munich', 'Vienna', 'Zurich', 'Prague'],
  UK: ['London', 'Manchester', 'Leeds', 'Bristol', 'Glasgow'],
};
const CARRIERS = ['UPS', 'DHL', 'FEDEX'];
const MILESTONE_ORDER: WorldMilestone[] = ['label_created', 'picked_up', 'in_transit', 'out_for_delivery', 'delivered'];

// Fixed, not drawn from the generator: adding users must not move any other seeded record. The first is the integration user the API signs in as.
const USERS: WorldUser[] = [
  { username: 'integration@retail.example', firstName: 'Retail', lastName: 'Integration', email: 'integration@retail.example', title: 'Integration', active: true, currency: 'USD' },
  { username: 'ana.agent@retail.example', firstName: 'Ana', lastName: 'Alves', email: 'ana.agent@retail.example', title: 'Service Agent', active: true, currency: 'USD' },
  { username: 'bo.agent@retail.example', firstName: 'Bo', lastName: 'Berg', email: 'bo.agent@retail.example', title: 'Service Agent', active: true, currency: 'EUR' },
  { username: 'sam.supervisor@retail.example', firstName: 'Sam', lastName: 'Stone', email: 'sam.supervisor@retail.example', title: 'Service Supervisor', active: true, currency: 'USD', refundApprovalLimit: 1_000_000 },
  { username: 'kim.supervisor@retail.example', firstName: 'Kim', lastName: 'Keller', email: 'kim.supervisor@retail.example', title: 'Service Supervisor', active: true, currency: 'USD', refundApprovalLimit: 5_000 },
  { username: 'eva.supervisor@retail.example', firstName: 'Eva', lastName: 'Engel', email: 'eva.supervisor@retail.example', title: 'Service Supervisor', active: true, currency: 'EUR', refundApprovalLimit: 1_000_000 },
  { username: 'uma.supervisor@retail.example', firstName: 'Uma', lastName: 'Usher', email: 'uma.supervisor@retail.example', title: 'Service Supervisor', active: true, currency: 'GBP', refundApprovalLimit: 1_000_000 },
  { username: 'lee.former@retail.example', firstName: 'Lee', lastName: 'Lang', email: 'lee.former@retail.example', title: 'Service Supervisor', active: false, currency: 'USD', refundApprovalLimit: 1_000_000 },
];

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function buildWorld(options: WorldOptions = {}): World {
  const seed = options.seed ?? 20261126;
  const rand = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const int = (min: number, max: number) => min + Math.floor(rand() * (max - min + 1));
  const base = options.baseDate ?? new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z');
  const at = (daysAgo: number, hour = int(8, 20)) => new Date(base.getTime() - daysAgo * 86_400_000 + hour * 3_600_000 + int(0, 59) * 60_000).toISOString();

  const warehouses = REGIONS.map((r, i) => ({ warehouseId: `DC-${pad(i + 1, 2)}`, region: r.code, name: `${CITIES[r.code][0]} Distribution Center` }));
  const stores: WorldStore[] = [];
  let storeNo = 101;
  for (const region of REGIONS) {
    for (const city of CITIES[region.code]) {
      stores.push({ storeId: String(storeNo), name: `${city} ${storeNo % 2 ? 'Flagship' : 'Downtown'}`, region: region.code, warehouseId: warehouses.find((w) => w.region === region.code)!.warehouseId });
      storeNo += 1;
    }
  }

  const products: WorldProduct[] = [];
  let skuNo = 1;
  for (const [family, names, [lo, hi]] of FAMILIES) {
    for (const name of names) {
      for (const color of COLORS.slice(0, 2)) {
        products.push({ sku: `SKU-${pad(skuNo++, 5)}`, name: `${name} ${color}`, family, unitPrice: Math.round(int(lo, hi) / 100) * 100 - 1, currency: 'USD', returnable: family !== 'Electronics' || rand() > 0.3 });
      }
    }
  }

  const stock: WorldStock[] = [];
  for (const p of products) {
    for (const w of warehouses) {
      // A few SKUs are sold out somewhere, so "replacement only when stock is available" matters.
      stock.push({ sku: p.sku, warehouseId: w.warehouseId, onHand: rand() < 0.12 ? 0 : int(5, 250), reserved: 0 });
    }
  }

  const customers: WorldCustomer[] = [];
  for (let i = 1; i <= (options.customers ?? 72); i++) {
    const store = pick(stores);
    const firstName = pick(FIRST);
    const lastName = pick(LAST);
    const segmentRoll = rand();
    customers.push({
      customerId: `C-${pad(i, 6)}`,
      firstName,
      lastName,
      email: `${firstName}.${lastName}.${i}@example.com`.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, ''),
      phone: `+1-555-${pad(int(100, 999), 3)}-${pad(int(0, 9999), 4)}`,
      segment: segmentRoll < 0.6 ? 'standard' : segmentRoll < 0.8 ? 'loyalty-silver' : segmentRoll < 0.95 ? 'loyalty-gold' : 'employee',
      region: store.region,
      homeStoreId: store.storeId,
    });
  }

  const orders: WorldOrder[] = [];
  const payments: WorldPayment[] = [];
  const shipments: WorldShipment[] = [];
  const orderCount = options.orders ?? 480;
  for (let i = 1; i <= orderCount; i++) {
    const customer = pick(customers);
    const store = rand() < 0.8 ? stores.find((s) => s.storeId === customer.homeStoreId)! : pick(stores.filter((s) => s.region === customer.region));
    const currency = REGIONS.find((r) => r.code === store.region)!.currency;
    const daysAgo = int(0, 59);
    const lines: WorldOrderLine[] = [];
    const lineCount = int(1, 4);
    const used = new Set<string>();
    for (let l = 1; l <= lineCount; l++) {
      let product = pick(products);
      while (used.has(product.sku)) product = pick(products);
      used.add(product.sku);
      lines.push({ lineNumber: l * 10, sku: product.sku, quantity: rand() < 0.8 ? 1 : int(2, 3), unitPrice: product.unitPrice });
    }
    const total = lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
    const ageRoll = daysAgo > 10 ? rand() : rand() * 0.7;
    const status: WorldOrderStatus = ageRoll < 0.04 ? 'cancelled' : daysAgo < 2 ? (rand() < 0.5 ? 'created' : 'allocated') : ageRoll < 0.25 ? 'allocated' : ageRoll < 0.55 ? 'shipped' : 'delivered';
    const orderNumber = `SO-${100000 + i}`;
    const placedAt = at(daysAgo);
    const paymentId = `pay_${seedId(rand, 14)}`;
    payments.push({ paymentId, orderNumber, customerId: customer.customerId, amount: total, currency, capturedAt: placedAt, settledAt: daysAgo >= 2 ? at(daysAgo - 2) : undefined, method: rand() < 0.8 ? 'card' : rand() < 0.7 ? 'paypal' : 'gift-card' });
    const order: WorldOrder = { orderNumber, customerId: customer.customerId, storeId: store.storeId, region: store.region, channel: pick(['web', 'web', 'store', 'call-center', 'marketplace'] as const), currency, placedAt, status, lines, total, paymentId };
    if (status === 'shipped' || status === 'delivered') {
      const carrier = pick(CARRIERS);
      const shipDaysAgo = Math.max(0, daysAgo - int(1, 2));
      const trackingNumber = `${carrier.slice(0, 2)}${seedId(rand, 12).toUpperCase()}`;
      const reached = status === 'delivered' ? MILESTONE_ORDER.length : int(2, 4);
      const milestones = MILESTONE_ORDER.slice(0, reached).map((code, idx) => ({ code, at: at(Math.max(0, shipDaysAgo - idx)), location: pick(CITIES[store.region]) }));
      const shipmentId = `SHP-${pad(i, 7)}`;
      shipments.push({ shipmentId, orderNumber, warehouseId: store.warehouseId, carrier, trackingNumber, shippedAt: at(shipDaysAgo), milestones });
      Object.assign(order, { shipmentId, trackingNumber, carrier });
    }
    orders.push(order);
  }

  const cases: WorldCase[] = [];
  const candidates = orders.filter((o) => o.status === 'shipped' || o.status === 'delivered');
  for (let i = 1; i <= Math.min(options.cases ?? 36, candidates.length); i++) {
    const order = candidates[(i * 7) % candidates.length];
    const reason = order.status === 'shipped' ? pick(['delayed-shipment', 'not-received'] as const) : pick(['damaged-item', 'wrong-item'] as const);
    const subjects = { 'delayed-shipment': 'Where is my order?', 'not-received': 'Order not received', 'damaged-item': 'Item arrived damaged', 'wrong-item': 'Received the wrong item' };
    cases.push({ caseNumber: pad(10_000 + i, 8), orderNumber: order.orderNumber, customerId: order.customerId, subject: `${subjects[reason]} (${order.orderNumber})`, reason, status: rand() < 0.7 ? 'New' : 'Working', openedAt: at(int(0, 5)) });
  }

  return { seed, baseDate: base.toISOString(), regions: REGIONS, stores, warehouses, customers, products, stock, orders, payments, shipments, cases, users: USERS };
}

function seedId(rand: () => number, length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(rand() * alphabet.length)];
  return out;
}
