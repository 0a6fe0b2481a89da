/** The signed-in frame: top bar (product, user, language, sign out) and the region tree. */
import {
  AlertOutlined,
  AuditOutlined,
  DatabaseOutlined,
  EnvironmentOutlined,
  FileDoneOutlined,
  HeartOutlined,
  ImportOutlined,
  KeyOutlined,
  LogoutOutlined,
  MenuFoldOutlined,
  MenuUnfoldOutlined,
  NotificationOutlined,
  SafetyCertificateOutlined,
  TeamOutlined,
  UnorderedListOutlined,
  UsergroupDeleteOutlined,
  UserOutlined,
} from "@ant-design/icons";
import { App, Button, Layout, Menu, Space, Tooltip, Typography } from "antd";
import { useState } from "react";
import {
  Link,
  Navigate,
  Outlet,
  useLocation,
  useNavigate,
  useSearchParams,
} from "react-router-dom";
import { useCasesText } from "../cases/cases.i18n.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useAssistanceText } from "../pages/assistance/assistance.i18n.ts";
import { useDuplicatesText } from "../pages/duplicates/duplicates.page.tsx";
import { useExchangeText } from "../pages/exchange/exchange.i18n.ts";
import { useFeedsText } from "../pages/feeds/feeds.i18n.ts";
import { useTokensText } from "../pages/tokens/tokens.i18n.ts";
import { homeOf, rootRegionOf, useSession } from "../session/session.tsx";
import { LanguageSwitch } from "./language-switch.tsx";
import { RegionTree } from "./region-tree.tsx";

const SIDER_KEY = "fangpin.sider";

function initiallyCollapsed(): boolean {
  // On a phone the tree would take the whole screen: folded unless the user opened it.
  const narrow = typeof window !== "undefined" && window.innerWidth < 768;
  try {
    const chosen = localStorage.getItem(SIDER_KEY);
    return chosen === null ? narrow : chosen === "collapsed";
  } catch {
    return narrow;
  }
}

/** Pages whose content follows the region chosen in the tree (`?region=`). */
const REGION_PAGES = ["/households", "/signals", "/verifications", "/cases", "/notice-batches"];

/**
 * What a section needs: its menu entry shows only to users who may use it, and a user who opens
 * one they may not (a bookmark, the default page) is sent to their own start page.
 */
const SECTION_NEEDS: Record<string, string> = {
  "/households": "household.read",
  "/signals": "signal.read",
  "/verifications": "signal.read",
  "/policy": "signal.read",
  "/cases": "case.read",
  "/notice-batches": "case.read",
  "/imports": "household.create",
  "/assist": "assistance.read",
  "/feeds": "feed.read",
  "/duplicates": "duplicate.review",
  "/tokens": "token.manage",
};

/** The menu entry a path belongs to (a household page belongs to 农户信息). */
function sectionOf(pathname: string): string {
  const first = `/${pathname.split("/")[1] ?? ""}`;
  return first === "/" ? "/households" : first;
}

export function AppLayout() {
  const { t } = useI18n();
  const exchangeText = useExchangeText();
  const casesText = useCasesText();
  const assistanceText = useAssistanceText();
  const feedsText = useFeedsText();
  const duplicatesText = useDuplicatesText();
  const tokensText = useTokensText();
  const { user, signOut } = useSession();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  // Wide tables (signals) want the room on smaller screens: the region tree folds away.
  const [collapsed, setCollapsed] = useState(initiallyCollapsed);
  const toggleSider = () => {
    const next = !collapsed;
    setCollapsed(next);
    try {
      localStorage.setItem(SIDER_KEY, next ? "collapsed" : "open");
    } catch {
      // private mode: the choice lasts for this page only
    }
  };

  if (user === null) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  if (user === undefined) return null;

  const may = (action: string) => user.can.includes(action);
  const section = sectionOf(location.pathname);
  const needed = SECTION_NEEDS[section];
  if (needed && !may(needed) && homeOf(user) !== section)
    return <Navigate to={homeOf(user)} replace />;
  // The region tree leads to the household list: only for users who may read it.
  const showTree = may("household.read");

  const root = rootRegionOf(user);
  const onRegionPage = REGION_PAGES.includes(location.pathname);
  const selected = onRegionPage ? (params.get("region") ?? root) : null;

  /** On a page that follows the tree, keep its filters and change the region; else list households. */
  const chooseRegion = (code: string) => {
    const next = new URLSearchParams(onRegionPage ? params : undefined);
    next.set("region", code);
    next.delete("q");
    navigate({
      pathname: onRegionPage ? location.pathname : "/households",
      search: next.toString(),
    });
  };

  const canReadSignals = may("signal.read");
  const menu = [
    ...(may("household.read")
      ? [{ key: "/households", icon: <TeamOutlined />, label: t.layout.menu.households }]
      : []),
    ...(canReadSignals
      ? [
          { key: "/signals", icon: <AlertOutlined />, label: t.layout.menu.signals },
          { key: "/verifications", icon: <UnorderedListOutlined />, label: t.layout.menu.tasks },
          { key: "/policy", icon: <AuditOutlined />, label: t.layout.menu.policy },
        ]
      : []),
    ...(user.can.includes("case.read")
      ? [
          {
            key: "cases",
            icon: <FileDoneOutlined />,
            label: casesText.menu,
            children: [
              { key: "/cases", icon: <FileDoneOutlined />, label: casesText.workList },
              {
                key: "/notice-batches",
                icon: <NotificationOutlined />,
                label: casesText.noticesMenu,
              },
            ],
          },
        ]
      : []),
    ...(user.can.includes("household.create")
      ? [{ key: "/imports", icon: <ImportOutlined />, label: exchangeText.menu }]
      : []),
    ...(user.can.includes("assistance.read")
      ? [
          {
            key: user.role === "helper" ? "/assist/mine" : "/assist",
            icon: <HeartOutlined />,
            label: assistanceText.menu,
          },
        ]
      : []),
    ...(user.can.includes("feed.read")
      ? [{ key: "/feeds", icon: <DatabaseOutlined />, label: feedsText.menu }]
      : []),
    ...(user.can.includes("duplicate.review")
      ? [{ key: "/duplicates", icon: <UsergroupDeleteOutlined />, label: duplicatesText.menu }]
      : []),
    ...(may("token.manage")
      ? [{ key: "/tokens", icon: <KeyOutlined />, label: tokensText.menu }]
      : []),
  ];

  return (
    <Layout className="app">
      <Layout.Header className="app__header">
        {showTree && (
          <Tooltip title={t.layout.regions} placement="bottomLeft">
            <Button
              type="text"
              className="app__sider-toggle"
              icon={collapsed ? <MenuUnfoldOutlined /> : <MenuFoldOutlined />}
              onClick={toggleSider}
              aria-label={t.layout.regions}
              data-testid="toggle-regions"
            />
          </Tooltip>
        )}
        <Link to={homeOf(user)} className="app__brand">
          <SafetyCertificateOutlined className="app__logo" />
          <span className="app__product" title={t.product}>
            {t.productShort}
          </span>
        </Link>
        <Menu
          className="app__menu"
          mode="horizontal"
          theme="dark"
          selectedKeys={[section]}
          items={menu}
          onClick={({ key }) => {
            // The region chosen in the tree goes along to the pages that follow it.
            const region = params.get("region");
            const keep = onRegionPage && region && REGION_PAGES.includes(key);
            navigate(keep ? `${key}?region=${region}` : key);
          }}
          data-testid="main-menu"
        />
        <Space size="large" className="app__user">
          <span data-testid="current-user">
            <UserOutlined /> {user.displayName || user.username}
            <span className="app__role">{t.roles[user.role] ?? user.role}</span>
          </span>
          <span>
            <EnvironmentOutlined /> {user.regionName ?? t.layout.allRegions}
          </span>
          <LanguageSwitch dark />
          <Button
            type="text"
            className="app__signout"
            icon={<LogoutOutlined />}
            onClick={async () => {
              await signOut();
              message.success(t.layout.signedOut);
            }}
          >
            {t.layout.signOut}
          </Button>
        </Space>
      </Layout.Header>
      <Layout>
        {showTree && (
          <Layout.Sider
            width={248}
            theme="light"
            className="app__sider"
            collapsible
            collapsed={collapsed}
            collapsedWidth={0}
            trigger={null}
          >
            <div className="app__sider-inner">
              <Typography.Text strong className="app__sider-title">
                {t.layout.regions}
              </Typography.Text>
              <RegionTree root={root} selected={selected} onSelect={chooseRegion} />
            </div>
          </Layout.Sider>
        )}
        <Layout.Content className="app__content">
          <Outlet />
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
