// Sign-in (Sign-In with Ethereum through the API's /auth routes) and the signer the actions use: an EIP-1193 wallet
// (window.ethereum, e.g. MetaMask), or — in the `npm start` demo only — a development key held in the page.
import { API_BASE, apiRequest, onAuthLost, setBearer } from './api.js';

const STORAGE_KEY = 'twin-dashboard-session';
const listeners = new Set();
let current = null;
let ethersModule = null;

/** ethers' browser build, loaded on first use (the read-only pages never need it). */
export async function loadEthers() {
  ethersModule ??= await import('/vendor/ethers.js');
  return ethersModule;
}

/** The signed-in session `{ token, expiresAt, address, role, name, kind, label }`, or null. */
export const session = () => current;

/** Calls `fn(session)` now and on every sign-in and sign-out; returns the unsubscribe function. */
export function onSession(fn) {
  listeners.add(fn);
  fn(current);
  return () => listeners.delete(fn);
}

function publish(next) {
  current = next;
  setBearer(next?.token ?? null);
  for (const fn of listeners) {
    try {
      fn(current);
    } catch (error) {
      console.warn(error);
    }
  }
}

/** The demo's development accounts, or [] when the API serves none (any deployment but `npm start`'s). */
export async function demoAccounts() {
  try {
    const body = await apiRequest('GET', '/demo/accounts', { token: null });
    return body?.development === true && Array.isArray(body.items) ? body.items : [];
  } catch {
    return [];
  }
}

/** Whether an EIP-1193 wallet is injected in the page. */
export const hasWallet = () => typeof window !== 'undefined' && Boolean(window.ethereum?.request);

/**
 * A signer over an EIP-1193 provider: `eth_requestAccounts`, then ethers' BrowserProvider for `personal_sign`,
 * `eth_signTypedData_v4` and `eth_sendTransaction` (the wallet's own RPC sends them).
 */
async function walletSigner() {
  if (!hasWallet()) throw new Error('No browser wallet found (install MetaMask or another EIP-1193 wallet).');
  const { BrowserProvider } = await loadEthers();
  const provider = new BrowserProvider(window.ethereum);
  await provider.send('eth_requestAccounts', []);
  return provider.getSigner();
}

/** A signer over a development key: it signs in the page and sends through the API's demo-only JSON-RPC forwarder. */
async function localSigner(privateKey) {
  const { JsonRpcProvider, Wallet } = await loadEthers();
  const provider = new JsonRpcProvider(new URL(`${API_BASE}/demo/rpc`, location.origin).href, undefined, {
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  return new Wallet(privateKey, provider);
}

let signerPromise = null;

/** The signer of the current session (rebuilt after a reload from the stored session's kind). */
export async function signer() {
  if (!current) throw new Error('Sign in first.');
  if (!signerPromise) {
    signerPromise =
      current.kind === 'development-key'
        ? demoAccounts().then((accounts) => {
            const account = accounts.find((item) => item.address === current.address);
            if (!account) throw new Error('This development key is no longer offered: sign in again.');
            return localSigner(account.privateKey);
          })
        : walletSigner();
    signerPromise.catch(() => {
      signerPromise = null;
    });
  }
  return signerPromise;
}

/** SIWE: nonce, the API's EIP-4361 message for the address, the signature, the session token. */
async function signInWith(wallet, kind, label) {
  const address = await wallet.getAddress();
  const { nonce } = await apiRequest('POST', '/auth/nonce', { token: null });
  const { message } = await apiRequest('POST', '/auth/message', {
    token: null,
    body: { address, nonce, statement: 'Sign in to the Twin Registry dashboard.' },
  });
  const signature = await wallet.signMessage(message);
  const signed = await apiRequest('POST', '/auth/sign-in', { token: null, body: { message, signature } });
  let name = null;
  try {
    name = (await apiRequest('GET', `/entities/${signed.address}`, { token: null })).name ?? null;
  } catch {
    name = null;
  }
  const next = { ...signed, name, kind, label: label ?? null };
  signerPromise = Promise.resolve(wallet);
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  publish(next);
  return next;
}

/** Signs in with the injected wallet. */
export async function signInWithWallet() {
  return signInWith(await walletSigner(), 'wallet');
}

/** Signs in with one of the demo's development accounts (`demoAccounts()` item). */
export async function signInWithDevelopmentKey(account) {
  return signInWith(await localSigner(account.privateKey), 'development-key', account.label);
}

export function signOut() {
  sessionStorage.removeItem(STORAGE_KEY);
  signerPromise = null;
  publish(null);
}

// A token the API no longer takes (expired, the entity revoked): back to the public view; "Sign in" again.
onAuthLost(() => {
  if (current) signOut();
});

/** The stored session of this tab, if unexpired. */
export function restoreSession() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
    if (stored && Date.parse(stored.expiresAt) > Date.now() + 5_000) publish(stored);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    sessionStorage.removeItem(STORAGE_KEY);
  }
}

/**
 * A relayed chain write (api/src/relay): `POST /relay/prepare`, the EIP-712 signature, then `POST /relay` (or
 * `PUT /twins/{id}/lifecycle` for setState). Resolves to `{ txHash, blockNumber, action, deviceId, from }` once mined.
 */
export async function relay(action, deviceId, args = {}) {
  const wallet = await signer();
  const from = await wallet.getAddress();
  const typed = await apiRequest('POST', '/relay/prepare', {
    body: { from, action, ...(deviceId ? { deviceId } : {}), args },
  });
  const signature = await wallet.signTypedData(typed.domain, typed.types, typed.message);
  const body = { request: typed.message, signature };
  if (action === 'setState') return apiRequest('PUT', `/twins/${deviceId}/lifecycle`, { body });
  return apiRequest('POST', '/relay', { body });
}

/** A direct transaction from the signed-in account (deposit: the relayer cannot pay the buyer's ether). */
export async function sendTransaction({ to, data, value }) {
  const wallet = await signer();
  const sent = await wallet.sendTransaction({ to, data, value });
  const receipt = await sent.wait();
  return { txHash: sent.hash, blockNumber: receipt?.blockNumber ?? null };
}

let registryAddress = null;
/** The TwinRegistry's address, from the fleet summary's deployment. */
export async function registry() {
  registryAddress ??= (await apiRequest('GET', '/fleet', { token: null })).chain.contracts.TwinRegistry;
  return registryAddress;
}

const REGISTRY_ABI = ['function deposit() payable', 'function proceedsOf(address account) view returns (uint256)'];

/** `TwinRegistry.deposit()` with `wei`, from the signed-in account (its own transaction and ether). */
export async function deposit(wei) {
  const { Interface } = await loadEthers();
  return sendTransaction({
    to: await registry(),
    data: new Interface(REGISTRY_ABI).encodeFunctionData('deposit', []),
    value: BigInt(wei),
  });
}

/** The signed-in account's registry balance (deposits and sale proceeds), wei as a decimal string. */
export async function balanceOf(address) {
  const { Interface } = await loadEthers();
  const wallet = await signer();
  const abi = new Interface(REGISTRY_ABI);
  const answer = await wallet.provider.call({ to: await registry(), data: abi.encodeFunctionData('proceedsOf', [address]) });
  return abi.decodeFunctionResult('proceedsOf', answer)[0].toString();
}

/**
 * An owner-signed command (api README "Commanding a device"): the API builds its EIP-712 typed data, the wallet signs
 * it (`eth_signTypedData_v4` for a browser wallet), and `send` posts it — `POST /twins/{id}/commands` by default, or
 * the state document's `PUT` with `If-Match` for `apply-state`. Resolves to `{ commandId, answer }`.
 */
export async function sendCommand(deviceId, draft, { send } = {}) {
  const wallet = await signer();
  const path = `/twins/${encodeURIComponent(deviceId)}`;
  const { typedData, command, commandId } = await apiRequest('POST', `${path}/commands/typed-data`, { body: draft });
  const { EIP712Domain: _domain, ...types } = typedData.types; // ethers adds the domain type itself
  const sig = await wallet.signTypedData(typedData.domain, types, typedData.message);
  const signed = { ...command, sig };
  const answer = send ? await send(signed) : await apiRequest('POST', `${path}/commands`, { body: signed });
  return { commandId, answer };
}
