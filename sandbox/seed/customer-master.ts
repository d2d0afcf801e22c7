import type { World, WorldCustomer } from './world';

/**
 * The customer master fields both the ERP and Salesforce are seeded with, derived from the world's
 * customer without drawing from the seed's random sequence (so every other record stays the same).
 */
export interface SeedCustomerMaster {
  billingAddress: { street: string; city: string; postalCode: string; country: string };
  marketingConsent: boolean;
  /** Minor units. */
  creditLimit: number;
  currency: string;
  paymentTerms: 'NET15' | 'NET30' | 'NET60' | 'PREPAID';
}

const CITY: Record<string, { city: string; country: string }> = {
  'NA-EAST': { city: 'Boston', country: 'US' },
  'NA-WEST': { city: 'Seattle', country: 'US' },
  'EU-CENTRAL': { city: 'Berlin', country: 'DE' },
  UK: { city: 'Leeds', country: 'GB' },
};

const CREDIT: Record<WorldCustomer['segment'], number> = { standard: 100_000, 'loyalty-silver': 250_000, 'loyalty-gold': 500_000, employee: 50_000 };
const TERMS: Record<WorldCustomer['segment'], SeedCustomerMaster['paymentTerms']> = { standard: 'NET30', 'loyalty-silver': 'NET30', 'loyalty-gold': 'NET60', employee: 'PREPAID' };

export function seedCustomerMaster(world: World, customer: WorldCustomer): SeedCustomerMaster {
  const n = Number(customer.customerId.replace(/\D/g, '')) || 0;
  const place = CITY[customer.region] ?? { city: 'Springfield', country: 'US' };
  return {
    billingAddress: { street: `${100 + ((n * 37) % 900)} Market Street`, city: place.city, postalCode: String(10_000 + ((n * 7919) % 89_999)), country: place.country },
    marketingConsent: n % 3 !== 0,
    creditLimit: CREDIT[customer.segment],
    currency: world.regions.find((r) => r.code === customer.region)?.currency ?? 'USD',
    paymentTerms: TERMS[customer.segment],
  };
}
