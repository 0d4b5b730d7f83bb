// Package demo loads the demonstration county: two townships, four villages, four service
// centres, the four documented sign-ins and a few dozen partners and villagers, so that a
// new user of `go run . -demo` has something real to look at. It loads once per database.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
)

// The documented demo sign-ins (README, DESIGN.md).
const (
	AdminLogin       = "admin"
	AdminPassword    = "demo-admin-pass"
	CoordLogin       = "coordinator"
	CoordPassword    = "demo-coord-pass"
	PartnerLogin     = "partner"
	PartnerPassword  = "demo-partner-pass"
	VillagerLogin    = "villager"
	VillagerPassword = "demo-villager-pass"
	VillagerPhone    = "13800000001"
	VillagerPIN      = "135790"
)

// SignInHelp is printed at start in demo mode.
const SignInHelp = `Demo sign-ins (login / password):
  admin       / demo-admin-pass      administrator
  coordinator / demo-coord-pass      county coordinator (示范县)
  partner     / demo-partner-pass    partner at 桃园村服务站
  villager    / demo-villager-pass   villager at 桃园村服务站 (or phone 13800000001 with PIN 135790 at /login/pin)
Other demo partners: partner02 … partner20 (password demo-partner-pass); demo villagers: phones 13800000002 … 13800000040 (PIN 135790).`

const loadedKey = "demo_loaded"

type settingRow struct {
	Key   string `gorm:"primaryKey"`
	Value string
}

func (settingRow) TableName() string { return "settings" }

var (
	partnerNames = []string{"李娜", "王磊", "张敏", "刘洋", "陈静", "杨帆", "赵丽", "黄勇", "周婷", "吴强",
		"徐莉", "孙浩", "马超", "朱琳", "胡斌", "郭佳", "何亮", "高燕", "林峰", "罗雪"}
	villagerNames = []string{"王秀英", "李桂兰", "张建国", "刘凤英", "陈国华", "杨淑珍", "赵德明", "黄玉兰",
		"周志强", "吴秀兰", "徐海波", "孙金花", "马建军", "朱春梅", "胡有才", "郭翠花", "何长生", "高玉珍",
		"林水生", "罗秀梅", "梁永福", "宋桂芳", "郑光明", "谢美兰", "韩大山", "唐小芳", "冯国庆", "于春花",
		"董志刚", "萧玉梅", "程红军", "曹秀珍", "袁春生", "邓丽华", "许宝山", "傅金莲", "沈长江", "曾翠英",
		"彭德胜", "吕秀云"}
)

// Load adds the demo data unless it is already there, and reports whether it did.
func Load(ctx context.Context, accounts *account.Service) (bool, error) {
	if _, ok, err := accounts.Setting(ctx, loadedKey); err != nil || ok {
		return false, err
	}
	// Hashing is slow on purpose; hash each distinct secret once, outside the transaction.
	hashes := map[string]string{}
	for _, secret := range []string{AdminPassword, CoordPassword, PartnerPassword, VillagerPassword} {
		h, err := accounts.HashPassword(secret)
		if err != nil {
			return false, err
		}
		hashes[secret] = h
	}
	var err error
	if hashes[VillagerPIN], err = accounts.HashPIN(VillagerPIN); err != nil {
		return false, err
	}
	loaded := false
	err = accounts.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Claim the load first: a second instance starting at the same moment conflicts here.
		if err := tx.Create(&settingRow{Key: loadedKey, Value: time.Now().UTC().Format(time.RFC3339)}).Error; err != nil {
			return err
		}
		loaded = true
		return seed(tx, hashes)
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return false, nil
	}
	return loaded && err == nil, err
}

func seed(tx *gorm.DB, hashes map[string]string) error {
	region := func(name string, level account.Level, parent *account.Region) (*account.Region, error) {
		r := &account.Region{Name: name, Level: level}
		path := "/"
		if parent != nil {
			r.ParentID = &parent.ID
			path = parent.Path
		}
		if err := tx.Create(r).Error; err != nil {
			return nil, err
		}
		r.Path = fmt.Sprintf("%s%d/", path, r.ID)
		return r, tx.Model(r).Update("path", r.Path).Error
	}
	county, err := region("示范县", account.LevelCounty, nil)
	if err != nil {
		return err
	}
	layout := []struct {
		township string
		villages []string
		centres  []string
	}{
		{"青山镇", []string{"桃园村", "石桥村"}, []string{"桃园村服务站", "石桥村服务站"}},
		{"清水镇", []string{"柳河村", "茶岭村"}, []string{"柳河村服务站", "茶岭村服务站"}},
	}
	var centres []*account.Centre
	for _, t := range layout {
		town, err := region(t.township, account.LevelTownship, county)
		if err != nil {
			return err
		}
		for i, v := range t.villages {
			village, err := region(v, account.LevelVillage, town)
			if err != nil {
				return err
			}
			c := &account.Centre{RegionID: village.ID, Name: t.centres[i], Address: t.township + v + "村委会旁"}
			if err := tx.Create(c).Error; err != nil {
				return err
			}
			centres = append(centres, c)
		}
	}
	phone := func(n int) *string { p := fmt.Sprintf("138%08d", n); return &p }
	users := []*account.User{
		{Login: AdminLogin, Name: "系统管理员", Role: account.RoleAdmin, PasswordHash: hashes[AdminPassword]},
		{Login: CoordLogin, Name: "县级辅导员 周老师", Role: account.RoleCoordinator, RegionID: &county.ID, PasswordHash: hashes[CoordPassword]},
	}
	for i, name := range partnerNames {
		login := PartnerLogin
		if i > 0 {
			login = fmt.Sprintf("partner%02d", i+1)
		}
		users = append(users, &account.User{Login: login, Name: name, Role: account.RolePartner,
			CentreID: &centres[i%len(centres)].ID, PasswordHash: hashes[PartnerPassword], Phone: phone(500 + i)})
	}
	for i, name := range villagerNames {
		u := &account.User{Login: *phone(i + 1), Name: name, Role: account.RoleVillager, Phone: phone(i + 1),
			CentreID: &centres[i%len(centres)].ID, PINHash: hashes[VillagerPIN]}
		if i == 0 {
			u.Login, u.PasswordHash = VillagerLogin, hashes[VillagerPassword]
		}
		users = append(users, u)
	}
	for _, u := range users {
		u.Active = true
	}
	if err := tx.CreateInBatches(users, 100).Error; err != nil {
		return err
	}
	return account.CountLearners(tx, users...)
}
