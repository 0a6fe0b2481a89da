/** The signed-in user: asked of the server once, cleared when any request finds the session gone. */
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
} from "react";
import { api, SIGNED_OUT_EVENT } from "../api/client.ts";
import type { User } from "../api/types.ts";

/** The county shown to a user without a region of their own (the nationwide administrator). */
export const DEFAULT_ROOT_REGION = "360726";

interface SessionValue {
  /** undefined while the first `me` request runs; null when signed out. */
  user: User | null | undefined;
  signIn(username: string, password: string): Promise<User>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);

  useEffect(() => {
    let live = true;
    api
      .get<User>("/api/auth/me")
      .then((u) => live && setUser(u))
      // Signed out, or the server is unreachable: either way the sign-in page is the way on.
      .catch(() => live && setUser(null));
    const onSignedOut = () => setUser(null);
    window.addEventListener(SIGNED_OUT_EVENT, onSignedOut);
    return () => {
      live = false;
      window.removeEventListener(SIGNED_OUT_EVENT, onSignedOut);
    };
  }, []);

  const signIn = useCallback(async (username: string, password: string) => {
    const u = await api.post<User>("/api/auth/login", { username, password });
    setUser(u);
    return u;
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.post("/api/auth/logout");
    } finally {
      setUser(null);
    }
  }, []);

  const value = useMemo(() => ({ user, signIn, signOut }), [user, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}

/** The signed-in user; only for components rendered inside the signed-in layout. */
export function useUser(): User {
  const { user } = useSession();
  if (!user) throw new Error("useUser without a signed-in user");
  return user;
}

/** The region the user's tree and lists start from. */
export function rootRegionOf(user: User): string {
  return user.regionCode ?? DEFAULT_ROOT_REGION;
}

/** The page a user lands on: the household list, or the first section their role may use. */
export function homeOf(user: User | null | undefined): string {
  if (!user || user.can.includes("household.read")) return "/households";
  if (user.can.includes("feed.read")) return "/feeds";
  if (user.can.includes("feed.load")) return "/feeds";
  return "/households";
}
